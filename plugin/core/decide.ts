// The pure core: request view + normalised config in, decision out. No Kong I/O happens here;
// the only outside world is the key set (and its HTTP fetches) behind verifyAccessToken.
import type { PluginConfig } from '../config/types';
import type { KeySet } from '../keys';
import { extractBearerToken } from '../extract/bearer-token';
import { verifyAccessToken } from '../verify/verify-token';
import { authorize } from '../authorize/authorize';
import { headerValueFor } from '../forward/claim-headers';
import { challenge, keysUnavailable } from '../respond/deny';
import { headerValues, type HeaderMap, type RequestView } from './request';
import type { Decision } from './decision';

/** A CORS preflight: OPTIONS carrying both Origin and Access-Control-Request-Method. */
function hasPreflightHeaders(headers: HeaderMap): boolean {
  return headerValues(headers, 'origin').length > 0 && headerValues(headers, 'access-control-request-method').length > 0;
}

/** True when decide() needs the request method (costs the handler one more PDK call). */
export function needsMethod(config: PluginConfig, headers: HeaderMap): boolean {
  return !config.runOnPreflight && hasPreflightHeaders(headers);
}

export async function decide(request: RequestView, config: PluginConfig, keySet: KeySet): Promise<Decision> {
  if (!config.runOnPreflight && request.method === 'OPTIONS' && hasPreflightHeaders(request.headers)) {
    return { kind: 'pass' };
  }

  const extraction = extractBearerToken(request.headers, config.tokenHeader);
  if (extraction.kind === 'absent') return challenge(config.realm, 'token_missing', 'No bearer token');
  if (extraction.kind === 'invalid_request') return challenge(config.realm, 'request_invalid', extraction.description);

  const verification = await verifyAccessToken(extraction.token, config, keySet);
  if (!verification.ok) {
    if (verification.reason === 'keys_unavailable') return keysUnavailable(verification.retryAfterSeconds ?? 30);
    return challenge(config.realm, verification.reason, verification.description);
  }

  const authorization = authorize(verification.claims, config);
  if (!authorization.ok) {
    return challenge(config.realm, authorization.reason, authorization.description, authorization.scope);
  }

  const setHeaders: Record<string, string> = {};
  const clearHeaders: string[] = [];
  for (const mapping of config.claimsToHeaders) {
    const value = headerValueFor(verification.claims, mapping);
    if (value.kind === 'unsafe') {
      return challenge(config.realm, 'claim_unsafe', 'The access token carries a claim that cannot be forwarded');
    }
    if (value.kind === 'value') setHeaders[mapping.header] = value.value;
    // Absent claim: remove any client-sent copy. Only needed when the client sent one, which
    // keeps the common path free of extra PDK calls.
    else if (headerValues(request.headers, mapping.header.toLowerCase()).length > 0) clearHeaders.push(mapping.header);
  }
  if (config.hideCredentials) clearHeaders.push(config.tokenHeader);
  return { kind: 'allow', setHeaders, clearHeaders, claims: verification.claims };
}

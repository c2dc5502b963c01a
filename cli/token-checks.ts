// Explains, one check at a time and in the plugin's order, what okta-jwt makes of a token. The
// checks reuse the plugin's own pieces (token grammar, key sets, authorize, header rendering);
// time checks follow jose's rules (exp <= now - leeway expires; nbf/iat > now + leeway are in the
// future; now - iat - leeway > max age is too old). The verdict itself comes from decide(): these
// checks say why.
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { AccessPolicy, IssuerSettings, PluginConfig } from '../plugin/config/types';
import { authorize, grantedScopes, selectPolicies } from '../plugin/authorize/authorize';
import { headerValueFor } from '../plugin/forward/claim-headers';
import { KeySetError } from '../plugin/keys';
import { claimAt, type Claims } from '../plugin/util/claims';
import { isCanonicalCompactJws } from '../plugin/verify/token-grammar';
import { idTokenMarkers, isAccessTokenType, isSenderConstrained, type KeySets } from '../plugin/verify/verify-token';
import { fail, info, outcome, pass, skip, type Check } from './check';

const EMPTY_POLICY: AccessPolicy = {
  scopesRequired: [],
  scopesMatch: 'all',
  claimsRequired: [],
  claimsMatch: 'all',
  authentication: { amrValues: [], acrValues: [], maxAgeSeconds: null },
  introspection: { mode: 'off', samplePercent: 100, methods: null },
};

const iso = (seconds: number) => (Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : String(seconds));
const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));

function issuerField(config: PluginConfig, issuer: IssuerSettings, name: 'issuer' | 'audiences' | 'jwks_uri'): string {
  const index = config.issuers.indexOf(issuer);
  return index <= 0 ? name : `additional_issuers[${index}].${name}`;
}

function headerChecks(token: string, config: PluginConfig, out: Check[]): ProtectedHeaderParameters | null {
  out.push(outcome(token.length <= config.maxTokenBytes, 'token.size', `${token.length} bytes (max_token_bytes ${config.maxTokenBytes})`,
    `${token.length} bytes, over max_token_bytes (${config.maxTokenBytes}); Okta tokens with many groups grow large`, 'max_token_bytes', 'token_malformed'));
  const parts = token.split('.');
  const grammar = isCanonicalCompactJws(token);
  out.push(outcome(grammar, 'token.grammar', 'three canonical base64url segments (compact JWS)',
    parts.length === 3 && parts[2] === '' ? 'no signature segment: an unsigned (alg "none") token' :
      parts.length !== 3 ? `${parts.length} dot-separated segment(s), a JWS has 3 (is this an opaque token, or was it cut off?)` :
        'not canonical base64url (padding, whitespace, quotes or a copy-paste artefact?)', null, 'token_malformed'));
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    out.push(fail('token.header', 'the header segment is not a JSON object', null, 'token_malformed'));
    return null;
  }
  const alg = header.alg;
  out.push(outcome(typeof alg === 'string' && config.allowedAlgorithms.includes(alg), 'header.alg', `alg ${show(alg)} is allowed`,
    `alg ${show(alg)} is not in allowed_algorithms (${config.allowedAlgorithms.join(', ')})${alg === 'none' || /^HS/.test(String(alg)) ? '; none and HS* are never accepted' : ''}`,
    'allowed_algorithms', 'bad_algorithm'));
  const typ = header.typ;
  out.push(outcome(isAccessTokenType(typ), 'header.typ',
    typ === undefined ? 'no typ (as Okta access tokens)' : `typ ${show(typ)}`, `typ ${show(typ)} is not an access-token type (absent, at+jwt or JWT)`, null, 'bad_token_type'));
  out.push(outcome(header.kid === undefined || typeof header.kid === 'string', 'header.kid', header.kid === undefined ? 'no kid' : `kid ${show(header.kid)}`,
    `kid ${show(header.kid)} is not a string`, null, 'token_malformed'));
  return header;
}

async function keyAndSignature(token: string, header: ProtectedHeaderParameters, issuer: IssuerSettings, config: PluginConfig, keySets: KeySets, out: Check[]): Promise<boolean> {
  const keyField = issuer.keys.jwksUri !== null ? issuerField(config, issuer, 'jwks_uri') : issuerField(config, issuer, 'issuer');
  const keySet = keySets.get(issuer.issuer);
  if (keySet === undefined || typeof header.alg !== 'string' || !config.allowedAlgorithms.includes(header.alg)) {
    out.push(skip('token.key', 'not looked up (the algorithm is refused)'));
    return false;
  }
  let key: Awaited<ReturnType<typeof keySet.getKey>>;
  try {
    key = await keySet.getKey({ alg: header.alg, kid: typeof header.kid === 'string' ? header.kid : undefined });
  } catch (err) {
    if (err instanceof KeySetError && err.code === 'keys_unavailable') {
      out.push(fail('token.key', `no key set: ${err.message}`, keyField, 'keys_unavailable'));
    } else {
      out.push(fail('token.key', `kid ${show(header.kid)}: ${(err as Error).message}; the token was signed by a key this issuer does not publish ` +
        '(another Okta org or authorization server, a rotated-out key, or a non-Okta token)', keyField, 'unknown_key'));
    }
    return false;
  }
  out.push(pass('token.key', `the issuer publishes kid ${show(header.kid)}`, keyField));
  try {
    await compactVerify(token, key, { algorithms: config.allowedAlgorithms });
    out.push(pass('token.signature', `valid ${header.alg} signature`));
    return true;
  } catch {
    out.push(fail('token.signature', 'the signature does not verify with the published key of this kid: the token was altered, or signed by another key under the same kid', null, 'bad_signature'));
    return false;
  }
}

function timeChecks(claims: JWTPayload, config: PluginConfig, out: Check[]): void {
  const now = Math.floor(Date.now() / 1000);
  const leeway = config.leewaySeconds;
  const maxAge = config.maxTokenAgeSeconds;
  const { exp, iat, nbf } = claims;
  const numeric = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  out.push(outcome(numeric(exp) && numeric(iat), 'claims.exp_iat', 'exp and iat present', `exp ${show(exp)}, iat ${show(iat)}: both must be numbers`, null, 'token_malformed'));
  if (numeric(exp)) {
    out.push(outcome((exp as number) > now - leeway, 'claims.exp', `expires ${iso(exp as number)} (in ${(exp as number) - now} s)`,
      `expired ${iso(exp as number)}, ${now - (exp as number)} s ago (leeway_seconds ${leeway}); get a new token, or check this host's clock`, 'leeway_seconds', 'token_expired'));
  }
  if (nbf !== undefined) {
    out.push(outcome(numeric(nbf) && (nbf as number) <= now + leeway, 'claims.nbf', `valid since ${iso(nbf as number)}`,
      `not valid before ${iso(nbf as number)}, ${(nbf as number) - now} s from now (leeway_seconds ${leeway})`, 'leeway_seconds', 'token_not_yet_valid'));
  }
  if (numeric(iat)) {
    const age = now - (iat as number);
    out.push(outcome(age >= -leeway, 'claims.iat', `issued ${iso(iat as number)} (${age} s ago)`,
      `issued ${iso(iat as number)}, ${-age} s in the future (leeway_seconds ${leeway}): this host's clock is behind the issuer's`, 'leeway_seconds', 'token_not_yet_valid'));
    out.push(outcome(age - leeway <= maxAge, 'claims.age', `${age} s old (max_token_age_seconds ${maxAge})`,
      `${age} s old, older than max_token_age_seconds (${maxAge}) plus leeway`, 'max_token_age_seconds', 'token_too_old'));
    if (numeric(exp)) {
      const lifetime = (exp as number) - (iat as number);
      out.push(outcome(lifetime >= 0 && lifetime <= maxAge, 'claims.lifetime', `lifetime ${lifetime} s`,
        `lifetime exp - iat = ${lifetime} s: must be between 0 and max_token_age_seconds (${maxAge}); Okta access tokens live 5 min to 24 h`, 'max_token_age_seconds', 'token_malformed'));
    }
  }
}

function audienceCheck(claims: JWTPayload, config: PluginConfig, issuer: IssuerSettings): Check {
  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  const ok = audiences.some((a) => issuer.audiences.includes(a));
  return outcome(ok, 'claims.aud', `aud ${show(aud)} is accepted`,
    `aud ${show(aud)} is none of ${show(issuer.audiences)}: set the audience to the "Audience" of the Okta authorization server (Security > API), e.g. api://default`,
    issuerField(config, issuer, 'audiences'), 'bad_audience');
}

function idTokenCheck(claims: JWTPayload): Check {
  const markers = idTokenMarkers(claims);
  return outcome(markers.length === 0, 'token.type', 'an access token (no ID-token markers)',
    `an ID token (${markers.join(', ')}): send the access_token from Okta's token response, not the id_token`, null, 'bad_token_type');
}

/** A token bound to a key (any cnf: DPoP, mTLS, jwk, …) cannot be used as a bearer token. */
function bindingCheck(claims: JWTPayload): Check {
  return outcome(!isSenderConstrained(claims), 'token.binding', 'not bound to a key (a bearer token)',
    'bound to a key (cnf): a DPoP or mTLS sender-constrained token needs its proof, it cannot be used as a bearer token', null, 'token_bound');
}

/** The policy checks, each through the plugin's authorize() with only that part of the policy. */
function policyChecks(claims: Claims, config: PluginConfig, method: string | null, path: string | null, out: Check[]): void {
  if (config.clientIds !== null) {
    const ok = authorize(claims, EMPTY_POLICY, config).ok;
    out.push(outcome(ok, 'client.cid', `cid ${show(claimAt(claims, ['cid']))} is allowed`,
      `cid ${show(claimAt(claims, ['cid']))} is not in client_ids (${[...config.clientIds].join(', ')})`, 'client_ids', 'client_not_allowed'));
  }
  const selection = selectPolicies(config, method, path);
  if (!selection.ok) {
    out.push(outcome(false, 'policy.rules', '', selection.reason === 'rule_unmatched'
      ? `no rule matches ${method ?? '(no --method)'} ${path ?? '(no --path)'} and unmatched_requests is deny: add a rule for it`
      : `the path ${path} holds ";", "%2F" or a backslash, which upstreams read differently, and unmatched_requests is deny`, 'unmatched_requests', selection.reason));
    return;
  }
  // An ambiguous path must meet several policies (see selectPolicies); each is checked in turn.
  for (const policy of selection.policies) policyPartChecks(claims, config, policy, method, path, out);
}

function policyPartChecks(claims: Claims, config: PluginConfig, policy: AccessPolicy, method: string | null, path: string | null, out: Check[]): void {
  const noClientList = { ...config, clientIds: null };
  const index = config.rules.findIndex((r) => r.policy === policy);
  const prefix = index < 0 ? '' : `rules[${index + 1}].`;
  const needsRequest = config.rules.some((r) => (r.methods !== null && method === null) || (r.paths !== null && path === null));
  out.push(info('policy', index < 0
    ? `the top-level policy applies${config.rules.length > 0 ? ` (no rule matched ${method ?? '(no --method)'} ${path ?? '(no --path)'})` : ''}${needsRequest ? '; give --method and --path to select rules as the plugin does' : ''}`
    : `rule ${index + 1} applies to ${method ?? 'any method'} ${path ?? 'any path'}`, index < 0 ? null : `rules[${index + 1}]`));

  const { amrValues, acrValues, maxAgeSeconds } = policy.authentication;
  if (amrValues.length > 0 || acrValues.length > 0 || maxAgeSeconds !== null) {
    const ok = authorize(claims, { ...EMPTY_POLICY, authentication: policy.authentication }, noClientList).ok;
    // The part that fails, in the plugin's order (amr, acr, auth_time), each judged by authorize() alone.
    const parts: Array<[string, AccessPolicy['authentication']]> = [
      ['amr_values', { amrValues, acrValues: [], maxAgeSeconds: null }],
      ['acr_values', { amrValues: [], acrValues, maxAgeSeconds: null }],
      ['max_age_seconds', { amrValues: [], acrValues: [], maxAgeSeconds }],
    ];
    const failingPart = parts.find(([, part]) => !authorize(claims, { ...EMPTY_POLICY, authentication: part }, noClientList).ok);
    const field = `${prefix}authentication${failingPart === undefined ? '' : `.${failingPart[0]}`}`;
    const required = [
      amrValues.length > 0 ? `amr one of ${show(amrValues)}` : null,
      acrValues.length > 0 ? `acr one of ${show(acrValues)}` : null,
      maxAgeSeconds !== null ? `a sign-in (auth_time) within ${maxAgeSeconds} s` : null,
    ].filter((r) => r !== null).join(', ');
    const seen = `amr ${show(claimAt(claims, ['amr']))}, acr ${show(claimAt(claims, ['acr']))}, auth_time ${show(claimAt(claims, ['auth_time']))}`;
    const machine = claimAt(claims, ['auth_time']) === undefined ? '; a token without a user sign-in (client credentials) cannot meet it' : '';
    out.push(outcome(ok, 'policy.step_up', `${seen} meet ${required}`,
      `${seen} do not meet ${required}: the client must send the user back to Okta with acr_values / max_age (step-up)${machine}`,
      field, 'step_up_required'));
  }
  if (policy.scopesRequired.length > 0) {
    const ok = authorize(claims, { ...EMPTY_POLICY, scopesRequired: policy.scopesRequired, scopesMatch: policy.scopesMatch }, noClientList).ok;
    const granted = [...grantedScopes(claims)];
    out.push(outcome(ok, 'policy.scopes', `scopes ${show(granted)} satisfy ${policy.scopesMatch} of ${show(policy.scopesRequired)}`,
      `the token grants ${show(granted)}; ${policy.scopesMatch} of ${show(policy.scopesRequired)} required: request the scope, and allow it in the authorization server's access policy rule`,
      `${prefix}scopes_required`, 'scope_missing'));
  }
  if (policy.claimsRequired.length > 0) {
    const ok = authorize(claims, { ...EMPTY_POLICY, claimsRequired: policy.claimsRequired, claimsMatch: policy.claimsMatch }, noClientList).ok;
    const failing = policy.claimsRequired
      .map((rule, i) => ({ rule, i, ok: authorize(claims, { ...EMPTY_POLICY, claimsRequired: [rule] }, noClientList).ok }))
      .filter((r) => !r.ok);
    const first = failing[0];
    out.push(outcome(ok, 'policy.claims', `required claim values present (${policy.claimsMatch})`,
      failing.map((r) => `${r.rule.claim} is ${show(claimAt(claims, r.rule.path))}, needs ${r.rule.match} of ${show(r.rule.values)}`).join('; ') +
        (failing.some((r) => claimAt(claims, r.rule.path) === undefined)
          ? ' (an absent claim must be added to the authorization server\'s access tokens: Claims tab, then check Token Preview)' : ''),
      ok || first === undefined ? `${prefix}claims_required` : `${prefix}claims_required[${first.i + 1}]`, 'claim_mismatch'));
  }
}

function forwardingChecks(claims: Claims, config: PluginConfig, out: Check[]): void {
  config.claimsToHeaders.forEach((mapping, i) => {
    const value = headerValueFor(claims, mapping);
    out.push(outcome(value.kind !== 'unsafe', `headers.${mapping.header}`,
      value.kind === 'value' ? `${mapping.claim} → ${mapping.header}` : `${mapping.claim} absent: ${mapping.header} not set (client copies removed)`,
      `${mapping.claim} cannot be forwarded safely (control characters, not a string/number/array, or over 8192 bytes)`, `claims_to_headers[${i + 1}].claim`, 'claim_unsafe'));
  });
  const { claim, claimName, required } = config.consumer;
  if (claim === null) return;
  const value = claimAt(claims, claim);
  const usable = typeof value === 'string' && /^[\x21-\x7e]{1,256}$/.test(value);
  if (!usable && (required || (typeof value === 'string' && value !== ''))) {
    out.push(fail('consumer.claim', `${claimName} is ${show(value)}: it cannot name a Kong consumer`, 'consumer_claim', 'claim_unsafe'));
  } else {
    out.push(usable ? pass('consumer.claim', `consumer ${config.consumer.lookup} ${show(value)} (whether it exists is only known to Kong)`, 'consumer_claim')
      : info('consumer.claim', `${claimName} is ${show(value)}: no consumer is authenticated`, 'consumer_claim'));
  }
}

/** Every check for `token` under `config`, in the order the plugin applies them. */
export async function tokenChecks(token: string, config: PluginConfig, keySets: KeySets, method: string | null, path: string | null): Promise<Check[]> {
  const out: Check[] = [];
  const header = headerChecks(token, config, out);
  if (header === null) return out;
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    out.push(fail('token.payload', 'the payload segment is not a JSON object', null, 'token_malformed'));
    return out;
  }
  const issuer = config.issuers.find((i) => i.issuer === claims.iss);
  const orgServer = typeof claims.iss === 'string' && URL.canParse(claims.iss) && !new URL(claims.iss).pathname.startsWith('/oauth2/');
  out.push(outcome(issuer !== undefined, 'claims.iss', `iss ${show(claims.iss)} is trusted`,
    `iss ${show(claims.iss)} is not a configured issuer (${config.issuers.map((i) => i.issuer).join(', ')}); it must match exactly: ` +
      'same authorization server, org vs custom domain, no trailing slash' +
      (orgServer ? '. This token comes from the Okta org authorization server (for Okta APIs only): request it from a custom authorization server (…/oauth2/default/v1/token)' : ''),
      'issuer', 'bad_issuer'));
  if (issuer === undefined) return out;
  const signed = await keyAndSignature(token, header, issuer, config, keySets, out);
  timeChecks(claims, config, out);
  out.push(audienceCheck(claims, config, issuer));
  out.push(idTokenCheck(claims));
  out.push(bindingCheck(claims));
  if (!signed) out.push(skip('policy.unverified', 'the token is not verified; the policy checks below read its unverified claims'));
  policyChecks(claims, config, method, path, out);
  forwardingChecks(claims, config, out);
  return out;
}

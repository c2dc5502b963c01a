// Benchmark case (d): okta-jwt's common-path job done with Okta's own @okta/jwt-verifier (a dev
// dependency): one bearer token from exactly one Authorization header, RS256 signature, iss, aud,
// exp, the required scope, then the same claim headers in one set_headers call. Refusals answer 401.
import type OktaJwtVerifier from '@okta/jwt-verifier';
import { headersFor } from '../../claim-mapping';
import { newOktaVerifier } from '../../okta-verifier';

interface Kong {
  request: { getHeaders(max?: number): Promise<Record<string, string | string[]> | null> };
  service: { request: { setHeaders(headers: Record<string, string>): Promise<unknown> } };
  response: { exit(status: number, body?: unknown, headers?: Record<string, string>): Promise<unknown> };
}

interface Config {
  issuer: string;
  audience: string;
}

export const Name = 'bench-okta-verifier';
export const Version = '0.1.0';
export const Priority = 1000;
export const Schema = [{ issuer: { type: 'string', required: true } }, { audience: { type: 'string', required: true } }];

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

function bearerToken(headers: Record<string, string | string[]> | null): string | null {
  const value = headers?.authorization;
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  if (values.length !== 1) return null;
  return BEARER.exec(values[0]!)?.[1] ?? null;
}

export class Plugin {
  private readonly verifier: OktaJwtVerifier;
  private readonly audience: string;

  constructor(config: Config) {
    this.audience = config.audience;
    this.verifier = newOktaVerifier(config.issuer);
  }

  async access(kong: Kong): Promise<void> {
    const token = bearerToken(await kong.request.getHeaders(1000));
    let claims: Record<string, unknown>;
    try {
      if (token === null) throw new Error('no token');
      claims = (await this.verifier.verifyAccessToken(token, this.audience)).claims as Record<string, unknown>;
    } catch {
      void kong.response.exit(401, { message: 'Unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="bench"' });
      return;
    }
    await kong.service.request.setHeaders(headersFor(claims));
  }
}

// Token introspection (RFC 7662) and revocation (RFC 7009) of one dev authorization server, as
// Okta's /v1/introspect and /v1/revoke answer them. DEV ONLY. A token is active when this server
// signed it (its published keys), it has not expired and its jti was not revoked. Clients
// authenticate with client_secret_basic (any client id, the secret DEV_CLIENT_SECRET) or
// private_key_jwt (an assertion signed with the key registered through the test controls).
import type http from 'node:http';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { DEV_CLIENT_SECRET } from './dev-identity';
import { sendJson } from './http-json';

/** Revoked jtis remembered (the oldest is forgotten first). */
const MAX_REVOKED = 10_000;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const NO_STORE = { 'Cache-Control': 'no-cache, no-store', Pragma: 'no-cache' };

export interface TokenStatus {
  /** Answers POST {as}/v1/introspect or {as}/v1/revoke with the form body already read. */
  serve(req: http.IncomingMessage, res: http.ServerResponse, endpoint: 'introspect' | 'revoke', form: URLSearchParams): Promise<void>;
  /** Registers (or with null removes) the public JWK that private_key_jwt assertions must be signed with. */
  setClientKey(jwk: JWK | null): void;
}

export function tokenStatus(issuer: string, jwks: () => { keys: JWK[] }): TokenStatus {
  const revoked = new Set<string>();
  let clientKey: JWK | null = null;

  /** The client id, or null when the request does not authenticate a client. */
  async function client(req: http.IncomingMessage, form: URLSearchParams, endpointUrl: string): Promise<string | null> {
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
      return id && secret === DEV_CLIENT_SECRET ? id : null;
    }
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== ASSERTION_TYPE || assertion === null || clientKey === null) return null;
    try {
      const { payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: [clientKey] }), { audience: endpointUrl, maxTokenAge: 3600 });
      return typeof payload.iss === 'string' && payload.iss === payload.sub ? payload.iss : null;
    } catch {
      return null;
    }
  }

  /** The claims of a token this server signed and that is still valid, else null. */
  async function validClaims(token: string | null): Promise<Record<string, unknown> | null> {
    if (token === null) return null;
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks()), { issuer });
      return typeof payload.jti === 'string' && revoked.has(payload.jti) ? null : payload;
    } catch {
      return null;
    }
  }

  return {
    async serve(req, res, endpoint, form) {
      const clientId = await client(req, form, `${issuer}/v1/${endpoint}`);
      if (clientId === null) {
        return sendJson(res, 401, { error: 'invalid_client', error_description: 'No client credentials found.' }, { ...NO_STORE, 'WWW-Authenticate': 'Basic realm="Okta"' });
      }
      const claims = await validClaims(form.get('token'));
      if (endpoint === 'revoke') {
        if (claims !== null && typeof claims.jti === 'string') {
          if (revoked.size >= MAX_REVOKED) revoked.delete(revoked.values().next().value as string);
          revoked.add(claims.jti);
        }
        res.writeHead(200, NO_STORE).end();
        return;
      }
      if (claims === null) return sendJson(res, 200, { active: false }, NO_STORE);
      const scp = Array.isArray(claims.scp) ? claims.scp.join(' ') : undefined;
      sendJson(res, 200, {
        active: true, scope: scp, username: claims.sub, exp: claims.exp, iat: claims.iat, sub: claims.sub, aud: claims.aud,
        iss: claims.iss, jti: claims.jti, token_type: 'Bearer', client_id: claims.cid, uid: claims.uid,
      }, NO_STORE);
    },
    setClientKey(jwk) {
      clientKey = jwk;
    },
  };
}


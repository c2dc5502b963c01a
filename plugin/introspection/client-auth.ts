// How okta-jwt authenticates itself to the introspection endpoint (RFC 7662 §2.1 requires it):
// client_secret_basic (RFC 6749 §2.3.1: id and secret form-encoded, then HTTP Basic) or
// private_key_jwt (RFC 7523 §2.2: a short-lived assertion signed with the client's key, audience
// the endpoint, as Okta expects). The key is parsed once, when the plugin instance starts.
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** An assertion lives this long: Okta refuses one valid for more than an hour; a minute is plenty for one call. */
const ASSERTION_LIFETIME_SECONDS = 60;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface SigningKey {
  key: KeyObject;
  alg: 'RS256' | 'ES256';
  keyId: string | null;
}

/** The private key (PKCS#8 PEM or a JWK in JSON) and the algorithm it signs with; throws a message naming no key material. */
export function signingKey(text: string, keyId: string | null): SigningKey {
  let key: KeyObject;
  try {
    const trimmed = text.trim();
    key = trimmed.startsWith('{') ? createPrivateKey({ key: JSON.parse(trimmed) as never, format: 'jwk' }) : createPrivateKey(trimmed);
  } catch {
    throw new Error('introspection.private_key is not a private key (PKCS#8 PEM, or a JWK in JSON)');
  }
  if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS256', keyId };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256', keyId };
  throw new Error('introspection.private_key must be an RSA or an EC P-256 key');
}

export interface ClientAuthentication {
  headers: Record<string, string>;
  params: Record<string, string>;
}

const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

export function basicAuthentication(clientId: string, secret: string): ClientAuthentication {
  const credentials = Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64');
  return { headers: { authorization: `Basic ${credentials}` }, params: {} };
}

export async function assertionAuthentication(clientId: string, signing: SigningKey, endpoint: URL): Promise<ClientAuthentication> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader(signing.keyId === null ? { alg: signing.alg } : { alg: signing.alg, kid: signing.keyId })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(endpoint.href)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(signing.key);
  return { headers: {}, params: { client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion } };
}

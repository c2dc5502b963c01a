// Taking compact tokens apart and putting them back together, for tampering tests.
import { b64url } from './raw-issuer';

export interface Parts {
  header: string;
  payload: string;
  signature: string;
}

export function parts(token: string): Parts {
  const [header, payload, signature] = token.split('.');
  return { header, payload, signature };
}

export const join = (p: Parts): string => `${p.header}.${p.payload}.${p.signature}`;

export const decodeSegment = (segment: string): Record<string, unknown> => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

/** The token with its header or payload replaced by this JSON (the signature kept, so now wrong). */
export function tamper(token: string, change: { header?: Record<string, unknown>; payload?: Record<string, unknown> }): string {
  const p = parts(token);
  return join({
    header: change.header ? b64url(JSON.stringify(change.header)) : p.header,
    payload: change.payload ? b64url(JSON.stringify(change.payload)) : p.payload,
    signature: p.signature,
  });
}

/** The token with its signature bytes replaced. */
export const withSignatureBytes = (token: string, signature: Uint8Array): string => join({ ...parts(token), signature: b64url(signature) });

// Shared set-up for the dev issuer's tests: one issuer per describe block, closed afterwards.
import { startDevIssuer, type DevIssuer, type DevIssuerOptions } from '../../../dev/issuer';

/** Starts an issuer before the block's tests and closes it after them; call the result inside tests. */
export function useDevIssuer(opts: DevIssuerOptions = {}): () => DevIssuer {
  let issuer: DevIssuer | undefined;
  before(async () => {
    issuer = await startDevIssuer(opts);
  });
  after(async () => {
    await issuer?.close();
  });
  return () => issuer!;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function get(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

export function postJson(url: string, body: unknown): Promise<JsonResponse> {
  return get(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** The members of a compact JWS, decoded, in the order they were written. */
export function decodeJws(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header, payload, signature] = token.split('.');
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header!), payload: decode(payload!), signature: signature! };
}

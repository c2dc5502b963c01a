// Shared assertions for refused requests: the RFC 6750 challenge, a small JSON body with nothing
// internal in it, and no request reaching the upstream.
import { expect } from 'chai';
import type { HttpResponse } from '../../support/http-client';
import type { Gateway } from '../../support/gateway';

export function expectChallenge(res: HttpResponse, status: number, error: string | null): void {
  expect(res.status, res.text).to.equal(status);
  const challenge = String(res.headers['www-authenticate'] ?? '');
  expect(challenge).to.match(/^Bearer realm="okta-jwt"/);
  if (error === null) expect(challenge).to.not.include('error=');
  else expect(challenge).to.include(`error="${error}"`);
  expect(res.headers['content-type']).to.match(/^application\/json/);
  const body = res.json();
  expect(Object.keys(body)).to.deep.equal(['message']);
  expect(res.text).to.not.match(/eyJ|stack|at .*\.js|BEGIN|"kid"|"n":/);
}

export async function expectNoUpstreamRequest(gw: Gateway): Promise<void> {
  expect(await gw.upstreamRequests()).to.have.length(0);
}

/** A DPoP refusal (RFC 9449 §7.1): 401, the DPoP challenge with an error and the accepted algs, the usual small body. */
export function expectDpopChallenge(res: HttpResponse, error: 'invalid_dpop_proof' | 'invalid_token' | 'use_dpop_nonce', algs = 'ES256 RS256 PS256'): void {
  expect(res.status, res.text).to.equal(401);
  const challenge = String(res.headers['www-authenticate'] ?? '');
  expect(challenge).to.match(new RegExp(`^DPoP realm="okta-jwt", error="${error}", error_description="[^"]+", algs="${algs}"$`));
  expect(res.headers['content-type']).to.match(/^application\/json/);
  expect(Object.keys(res.json())).to.deep.equal(['message']);
  expect(res.text).to.not.match(/eyJ|stack|at .*\.js|BEGIN|"kid"|"n":/);
}

/** The PDK methods okta-jwt called since the last rpcLog reset, in order, `ret` ending each event (Kong double only). */
export function pdkCalls(gw: Gateway): string[] {
  const frames = gw.double!.rpcLog.frames.filter(
    (f) => f.server === 'okta-jwt' && f.dir === 'ps->kong' && (f.method === 'plugin.HandleEvent' || f.method.startsWith('plugin.Step')),
  );
  return frames.map((f) => {
    const data = (f.frame as [number, number, unknown, { Data?: unknown } | null])[3]?.Data;
    return typeof data === 'string' ? data : String((data as { Method?: string } | undefined)?.Method);
  });
}

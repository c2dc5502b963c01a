// Benchmark measuring stick for (b) and (c): okta-jwt's common path with the least possible work
// (see floor-verifier.ts): the same two PDK calls and the same claim headers. `cache: true` is the
// floor for a cache hit, `cache: false` for verifying every token.
import { headersFor } from '../../claim-mapping';
import { FloorVerifier } from '../../floor-verifier';

interface Kong {
  request: { getHeaders(max?: number): Promise<Record<string, string | string[]> | null> };
  service: { request: { setHeaders(headers: Record<string, string>): Promise<unknown> } };
  response: { exit(status: number, body?: unknown, headers?: Record<string, string>): Promise<unknown> };
}

export const Name = 'bench-floor';
export const Version = '0.1.0';
export const Priority = 1000;
export const Schema = [
  { issuer: { type: 'string', required: true } },
  { audience: { type: 'string', required: true } },
  { cache: { type: 'boolean', required: true } },
];

export class Plugin {
  private readonly verifier: FloorVerifier;

  constructor(config: { issuer: string; audience: string; cache: boolean }) {
    this.verifier = new FloorVerifier(config.issuer, config.audience, config.cache);
  }

  async access(kong: Kong): Promise<void> {
    const value = (await kong.request.getHeaders(1000))?.authorization;
    const authorization = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
    const claims = authorization?.startsWith('Bearer ') ? await this.verifier.verify(authorization.slice(7)) : null;
    if (claims === null) {
      void kong.response.exit(401, { message: 'Unauthorized' });
      return;
    }
    await kong.service.request.setHeaders(headersFor(claims));
  }
}

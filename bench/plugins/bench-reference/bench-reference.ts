// Benchmark case (a), the floor: the least a plugin doing okta-jwt's job can do over the bridge —
// read the credential header once and write the mapped headers once (HandleEvent + 2 PDK calls).
import { BENCH_TOKEN_HEADERS } from '../../claim-mapping';

interface Kong {
  request: { getHeader(name: string): Promise<string | null> };
  service: { request: { setHeaders(headers: Record<string, string>): Promise<unknown> } };
}

export const Name = 'bench-reference';
export const Version = '0.1.0';
export const Priority = 1000;
export const Schema = [{ note: { type: 'string', required: false } }];

export class Plugin {
  async access(kong: Kong): Promise<void> {
    const authorization = await kong.request.getHeader('authorization');
    // The same headers okta-jwt writes for the bench token (names and values); without a credential, none.
    await kong.service.request.setHeaders(authorization === null ? {} : BENCH_TOKEN_HEADERS);
  }
}

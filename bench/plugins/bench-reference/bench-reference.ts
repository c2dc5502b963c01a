// Benchmark case (a), the floor: the least a plugin doing okta-jwt's job can do over the bridge —
// read the credential header once and write the mapped headers once (HandleEvent + 2 PDK calls).
import { CLAIMS_TO_HEADERS } from '../../claim-mapping';

interface Kong {
  request: { getHeader(name: string): Promise<string | null> };
  service: { request: { setHeaders(headers: Record<string, string>): Promise<unknown> } };
}

const FIXED_HEADERS: Record<string, string> = Object.fromEntries(CLAIMS_TO_HEADERS.map(({ header }) => [header, 'bench']));

export const Name = 'bench-reference';
export const Version = '0.1.0';
export const Priority = 1000;
export const Schema = [{ note: { type: 'string', required: false } }];

export class Plugin {
  async access(kong: Kong): Promise<void> {
    const authorization = await kong.request.getHeader('authorization');
    // The same header names and count okta-jwt writes; the value only shows the header was read.
    await kong.service.request.setHeaders({ ...FIXED_HEADERS, 'X-User-Sub': authorization === null ? 'anonymous' : 'bench' });
  }
}

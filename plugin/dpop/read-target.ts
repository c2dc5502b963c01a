// The PDK reads behind a DPoP proof's htu, made only for requests that carry DPoP. Kong's
// get_forwarded_* getters report scheme, host and port as the client used them, taking
// X-Forwarded-Proto/Host/Port into account only from a proxy listed in Kong's trusted_ips; with
// dpop.external_base_url configured only the path is read.
import type { RequestTarget } from '../vocabulary/request';
import type { Pdk } from '../handler/pdk';

export async function readTarget(kong: Pdk, withOrigin: boolean): Promise<RequestTarget> {
  const origin = withOrigin
    ? { scheme: await kong.request.getForwardedScheme(), host: await kong.request.getForwardedHost(), port: await kong.request.getForwardedPort() }
    : { scheme: null, host: null, port: null };
  return { ...origin, pathWithQuery: await kong.request.getPathWithQuery() };
}

// Finds an issuer's jwks_uri (and introspection_endpoint, when it names one) from its metadata
// (RFC 8414, then OpenID Connect Discovery; or, for a Shared Signals transmitter, its SSF
// configuration metadata). The metadata must name exactly the configured issuer, and each endpoint
// must be https — plain http
// only on a loopback host when the issuer is itself on a loopback host, or on the origin of an
// issuer that is itself plain http (local development).
// URLs come from configuration and the issuer's metadata only, never from a token.
import { FetchFailure, httpGetJson, type HttpLimits } from './http-get-json';

export interface Discovered {
  jwksUri: URL;
  /** null: the metadata names none, or one that is not acceptable. */
  introspectionEndpoint: URL | null;
  maxAgeSeconds: number | undefined;
}

const METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** Whether keys may be fetched from (or tokens sent to) a discovered endpoint `jwksUri` for an issuer at `issuer`. */
export function acceptableJwksUri(jwksUri: URL, issuer: URL): boolean {
  if (jwksUri.protocol === 'https:') return true;
  if (jwksUri.protocol !== 'http:') return false;
  if (isLoopback(jwksUri) && isLoopback(issuer)) return true;
  // A plain-http issuer (the config allows one only for development) may serve its keys over http
  // from its own origin: that adds no exposure beyond the issuer's own.
  return issuer.protocol === 'http:' && jwksUri.origin === issuer.origin;
}

export type MetadataKind = 'authorization_server' | 'ssf_transmitter';

/**
 * Where the metadata of `issuer` is served: under the issuer for an Okta authorization server (as
 * Okta serves it); for an SSF transmitter, /.well-known/ssf-configuration between the host and the
 * issuer's path (SSF 1.0 §7.2.1).
 */
function metadataUrls(issuer: string, issuerUrl: URL, kind: MetadataKind): URL[] {
  if (kind === 'ssf_transmitter') return [new URL(`${issuerUrl.origin}/.well-known/ssf-configuration${issuerUrl.pathname.replace(/\/+$/, '')}`)];
  const base = issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
  return METADATA_PATHS.map((path) => new URL(base + path));
}

export async function discoverEndpoints(issuer: string, limits: HttpLimits, deadline: AbortSignal, kind: MetadataKind = 'authorization_server'): Promise<Discovered> {
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new FetchFailure('the configured issuer is not a URL');
  }
  const failures: string[] = [];
  for (const url of metadataUrls(issuer, issuerUrl, kind)) {
    const path = url.pathname;
    try {
      const { json, maxAgeSeconds } = await httpGetJson(url, limits, deadline);
      return { jwksUri: jwksUriFrom(json, issuer, issuerUrl), introspectionEndpoint: introspectionEndpointFrom(json, issuerUrl), maxAgeSeconds };
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
      if (deadline.aborted) break;
    }
  }
  throw new FetchFailure(`discovery failed (${failures.join('; ')})`);
}

function jwksUriFrom(metadata: unknown, issuer: string, issuerUrl: URL): URL {
  if (typeof metadata !== 'object' || metadata === null) throw new FetchFailure('metadata is not a JSON object');
  const { issuer: named, jwks_uri: jwksUri } = metadata as Record<string, unknown>;
  if (named !== issuer) throw new FetchFailure('metadata names a different issuer');
  if (typeof jwksUri !== 'string') throw new FetchFailure('metadata has no jwks_uri');
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    throw new FetchFailure('metadata jwks_uri is not a URL');
  }
  if (!acceptableJwksUri(url, issuerUrl)) throw new FetchFailure('metadata jwks_uri is not https');
  return url;
}

/** Checked like the jwks_uri (jwksUriFrom has checked the issuer already); a token is sent there. */
function introspectionEndpointFrom(metadata: unknown, issuerUrl: URL): URL | null {
  const endpoint = (metadata as Record<string, unknown>).introspection_endpoint;
  if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) return null;
  const url = new URL(endpoint);
  return acceptableJwksUri(url, issuerUrl) && url.username === '' && url.password === '' ? url : null;
}

// An Okta-shaped authorization server for development and tests. DEV ONLY: it mints tokens for
// anyone who asks (no client authentication) — never expose it beyond a test network.
//
// Serves, under an authorization-server path (default /oauth2/default, as Okta's custom AS):
//   GET  {as}/.well-known/openid-configuration, {as}/.well-known/oauth-authorization-server and the
//        RFC 8414 form /.well-known/oauth-authorization-server{as}   (Cache-Control max-age=86400)
//   GET  {as}/v1/keys       the JWKS, Cache-Control max-age=<cacheMaxAgeSeconds>, must-revalidate
//   POST {as}/v1/token      grant_type=client_credentials&scope=... (client id from Basic auth or
//                           client_id, not checked)
//   POST {as}/v1/introspect token=... (RFC 7662) and {as}/v1/revoke token=... (RFC 7009): see
//                           issuer-introspection.ts (client_secret_basic with DEV_CLIENT_SECRET, or private_key_jwt)
//   POST {as}/v1/dev/mint   JSON {claims?, options?: MintOptions} -> {access_token, ...} (dev only)
//   {as}/v1/dev/control/…   test controls (rotate or retire keys, go down and come back, serve another
//                           authorization server path...): see issuer-controls.ts; loopback clients only
//                           unless started with controlsFromAnyAddress (DEV_ISSUER_CONTROLS=any).
// Faults set with setFault() apply to the discovery and key-set endpoints, or with on: 'introspect' to
// the introspection endpoint only (status, refuse and hang). Each authorization
// server (the default one and those added with addAuthServer) has its own keys, faults and counters.
import http from 'node:http';
import { listen } from './listen';
import { DEV_AUDIENCE, DEV_CLIENT_ID, DEV_SUBJECT, DEV_USER_ID } from './dev-identity';
import { ISSUER_ALGORITHMS, KeyRing, randomId, signCompactJws, type IssuerAlgorithm } from './issuer-keys';
import { readBody, sendJson } from './http-json';
import { CONTROL_PREFIX, serveControl } from './issuer-controls';
import { createSsfTransmitter, type PushRequest, type SetRequest, type SsfTransmitter } from './ssf-transmitter';
import { tokenStatus } from './issuer-introspection';
import type { JWK } from 'jose';

export type { IssuerAlgorithm } from './issuer-keys';

export interface DevIssuerOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default '/oauth2/default'. */
  authServerPath?: string;
  /** Signing algorithm of every key. Default RS256. */
  algorithm?: IssuerAlgorithm;
  /** Base of the issuer string when clients reach the issuer under another name (docker). */
  publicBaseUrl?: string;
  /** max-age of the key set's Cache-Control. Default 3600. */
  cacheMaxAgeSeconds?: number;
  /** Answer the test controls from any client address, not only loopback (a test network, e.g. compose). Default false. */
  controlsFromAnyAddress?: boolean;
}

export interface MintOptions {
  /** Sign with the issuer's key of this kid; an unknown kid is put in the header of a token signed with the current key. */
  kid?: string;
  /** Signing algorithm and header alg (default: the key's). 'none' = unsigned; 'HS*' = HMAC keyed with the issuer's public key PEM. */
  alg?: string;
  /** 'foreign': a key of the same algorithm the issuer never published. */
  key?: 'current' | 'foreign';
  /** exp = iat + this. Default 3600. */
  expiresInSeconds?: number;
  /** Adds nbf = iat + this (Okta access tokens carry no nbf by default). */
  notBeforeSeconds?: number;
  /** iat (and auth_time) in epoch seconds. Default now. */
  issuedAt?: number;
  /** Header typ (Okta access tokens carry none). */
  typ?: string;
  /** Claim names to leave out. */
  omit?: string[];
  /** Extra or overriding header members, applied last; a member set to undefined is dropped. */
  header?: Record<string, unknown>;
}

type FaultKind =
  | { kind: 'status'; status: number }
  | { kind: 'garbage' }
  | { kind: 'wrong-shape' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'huge'; bytes: number }
  | { kind: 'refuse' }
  | { kind: 'hang' };

type MetadataEndpoint = 'discovery' | 'jwks';

/** A misbehaviour of the discovery and key-set endpoints (`on` limits it to one of them), or of the introspection endpoint. */
export type IssuerFault = FaultKind & { on?: MetadataEndpoint | 'introspect' };

export interface DevIssuer {
  /** e.g. http://127.0.0.1:PORT/oauth2/default */
  issuer: string;
  /** issuer + '/v1/keys' */
  jwksUri: string;
  /** The URL the server listens on (differs from the issuer base when publicBaseUrl is set). */
  localBaseUrl: string;
  /** Mint an Okta-shaped access token. */
  mint(claims?: Record<string, unknown>, opts?: MintOptions): Promise<string>;
  /** Add a new signing key and make it current (old keys stay published unless retireOld is true). */
  rotate(opts?: { retireOld?: boolean }): Promise<{ kid: string }>;
  /** Stops publishing one key (it can still sign, for tests); false when the kid is unknown or current. */
  retire(kid: string): boolean;
  currentKid(): string;
  /** Fault injection for key-set/discovery endpoints. */
  setFault(fault: IssuerFault | null): void;
  /** Change the key set's Cache-Control max-age (e.g. the short max-age Okta serves near a rotation). */
  setCacheMaxAge(seconds: number): void;
  /** Requests received per path since start/reset. */
  requestCount(path?: MetadataEndpoint | 'introspect' | 'all'): number;
  /** The public JWK private_key_jwt client assertions must be signed with (null: none accepted). */
  setClientKey(jwk: JWK | null): void;
  resetCounts(): void;
  /** Serves another authorization server under this path on the same listener (same one if already served). */
  addAuthServer(path: string): Promise<DevIssuer>;
  /** The listener's SSF transmitter (dev/ssf-transmitter.ts): its issuer, signed SETs, pushes. */
  ssf: { issuer: string; sign(request: SetRequest): Promise<string>; push(request: PushRequest): Promise<{ status: number; body: string }> };
  close(): Promise<void>;
}

/** Body of POST {as}/v1/dev/mint. */
export interface DevMintRequest {
  claims?: Record<string, unknown>;
  options?: MintOptions;
}

export { DEV_AUDIENCE, DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_SUBJECT, DEV_USER_ID } from './dev-identity';

const DISCOVERY_MAX_AGE_SECONDS = 86400;
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'];

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Okta's custom-AS metadata; the OpenID document adds the OIDC members. */
function discoveryDocument(issuer: string, origin: string, openid: boolean): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/v1/authorize`,
    token_endpoint: `${issuer}/v1/token`,
    ...(openid ? { userinfo_endpoint: `${issuer}/v1/userinfo` } : {}),
    registration_endpoint: `${origin}/oauth2/v1/clients`,
    jwks_uri: `${issuer}/v1/keys`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'code token', 'id_token token', 'code id_token token'],
    response_modes_supported: ['query', 'fragment', 'form_post', 'okta_post_message'],
    grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
    subject_types_supported: ['public'],
    ...(openid ? { id_token_signing_alg_values_supported: ['RS256'] } : {}),
    scopes_supported: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    claims_supported: ['iss', 'ver', 'sub', 'aud', 'iat', 'exp', 'jti', 'auth_time', 'amr', 'idp', 'nonce', 'name', 'email'],
    code_challenge_methods_supported: ['S256'],
    introspection_endpoint: `${issuer}/v1/introspect`,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint: `${issuer}/v1/revoke`,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    end_session_endpoint: `${issuer}/v1/logout`,
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
    device_authorization_endpoint: `${issuer}/v1/device/authorize`,
    dpop_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
  };
}


/** Okta's caching headers for metadata responses. */
function cacheHeaders(maxAgeSeconds: number): http.OutgoingHttpHeaders {
  return {
    'Cache-Control': `max-age=${maxAgeSeconds}, must-revalidate`,
    Expires: new Date(Date.now() + maxAgeSeconds * 1000).toUTCString(),
  };
}

const NO_STORE = { 'Cache-Control': 'no-cache, no-store', Pragma: 'no-cache' };

function oktaNotFound(res: http.ServerResponse, path: string, method: string): void {
  sendJson(res, 404, {
    errorCode: 'E0000022',
    errorSummary: `The endpoint does not support the provided HTTP method or path: ${method} ${path}`,
    errorLink: 'E0000022',
    errorId: `dev${randomId(9)}`,
    errorCauses: [],
  });
}


function validateFault(fault: IssuerFault): void {
  const intOk = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  if (fault.kind === 'status' && !intOk(fault.status, 100, 599)) throw new RangeError('status must be an integer in 100..599');
  if (fault.kind === 'slow' && !intOk(fault.delayMs, 0, 600_000)) throw new RangeError('delayMs must be an integer in 0..600000');
  if (fault.kind === 'huge' && !intOk(fault.bytes, 0, 256 * 1024 * 1024)) throw new RangeError('bytes must be an integer in 0..256 MiB');
}

function normaliseAuthServerPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function baseUrlFor(host: string, port: number): string {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const name = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/** What the authorization servers of one listener share. */
interface Listener {
  origin: string;
  localBaseUrl: string;
  algorithm: IssuerAlgorithm;
  cacheMaxAgeSeconds: number;
  controlsFromAnyAddress: boolean;
  timers: Set<NodeJS.Timeout>;
  servers: Map<string, AuthServer>;
  transmitter: SsfTransmitter;
  /** Serves another authorization server path (or returns the one already served there). */
  add(path: string): Promise<DevIssuer>;
}

interface AuthServer {
  asPath: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, method: string): boolean;
  facade: DevIssuer;
}

/** One Okta custom authorization server: its own keys, key-set max-age, faults and counters. */
async function createAuthServer(asPath: string, shared: Listener): Promise<AuthServer> {
  const keys = new KeyRing(shared.algorithm);
  await keys.addCurrent();
  let jwksMaxAge = shared.cacheMaxAgeSeconds;
  let fault: IssuerFault | null = null;
  const counts = { discovery: 0, jwks: 0, introspect: 0, all: 0 };
  const timers = shared.timers;
  const issuer = `${shared.origin}${asPath}`;
  const status = tokenStatus(issuer, () => keys.jwks());

  async function mint(claims: Record<string, unknown> = {}, mintOpts: MintOptions = {}): Promise<string> {
    const iat = mintOpts.issuedAt ?? nowSeconds();
    const payload: Record<string, unknown> = {
      ver: 1,
      jti: `AT.${randomId()}`,
      iss: issuer,
      aud: DEV_AUDIENCE,
      iat,
      exp: iat + (mintOpts.expiresInSeconds ?? 3600),
      cid: DEV_CLIENT_ID,
      uid: DEV_USER_ID,
      scp: ['openid', 'profile', 'email'],
      auth_time: iat,
      sub: DEV_SUBJECT,
      ...(mintOpts.notBeforeSeconds !== undefined ? { nbf: iat + mintOpts.notBeforeSeconds } : {}),
      ...claims,
    };
    for (const name of mintOpts.omit ?? []) delete payload[name];
    const key =
      mintOpts.key === 'foreign'
        ? await keys.foreign()
        : ((mintOpts.kid !== undefined ? keys.byKid(mintOpts.kid) : undefined) ?? keys.current());
    const alg = mintOpts.alg ?? key.alg;
    const header: Record<string, unknown> = {
      kid: mintOpts.kid ?? key.kid,
      alg,
      ...(mintOpts.typ !== undefined ? { typ: mintOpts.typ } : {}),
      ...mintOpts.header,
    };
    return signCompactJws(header, payload, key, alg);
  }

  function activeFault(endpoint: MetadataEndpoint): IssuerFault | null {
    return fault && (fault.on === undefined || fault.on === endpoint) ? fault : null;
  }

  /** The introspection endpoint down: an error status, a dropped connection, or no answer. */
  function misbehave(req: http.IncomingMessage, res: http.ServerResponse, f: IssuerFault): void {
    if (f.kind === 'refuse') return void req.socket.destroy();
    if (f.kind === 'hang') return;
    sendJson(res, f.kind === 'status' ? f.status : 500, { errorCode: 'E0000009', errorSummary: 'Injected introspection fault' });
  }

  /** Answers a discovery or key-set request, or misbehaves as the active fault says. */
  function serveMetadata(req: http.IncomingMessage, res: http.ServerResponse, endpoint: MetadataEndpoint, body: object, maxAge: number): void {
    const f = activeFault(endpoint);
    const healthy = () => sendJson(res, 200, body, cacheHeaders(maxAge));
    if (!f) return healthy();
    switch (f.kind) {
      case 'status':
        return sendJson(res, f.status, { errorCode: 'E0000009', errorSummary: `Injected status ${f.status}` });
      case 'garbage': {
        const text = '<html><body>\u0000 not json \uFFFD</body>';
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        return void res.end(text);
      }
      case 'wrong-shape':
        // Valid JSON with the members of the wrong types.
        return sendJson(res, 200, endpoint === 'jwks' ? { keys: { kty: 'RSA' } } : { issuer: 42, jwks_uri: [issuer] });
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) healthy();
        }, f.delayMs);
        timers.add(timer);
        return;
      }
      case 'huge': {
        // A valid document, padded to at least `bytes`: only a size cap can reject it.
        const bare = JSON.stringify({ ...body, x_padding: '' });
        const padding = 'x'.repeat(Math.max(0, f.bytes - Buffer.byteLength(bare)));
        return sendJson(res, 200, { ...body, x_padding: padding });
      }
      case 'refuse':
        return void req.socket.destroy();
      case 'hang':
        return; // the socket stays open until the client gives up or close() runs
    }
  }

  async function handlePost(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const body = await readBody(req);
    if (body === null) return sendJson(res, 413, { error: 'invalid_request', error_description: 'body too large' });
    if (path === `${asPath}/v1/token`) return handleTokenRequest(req, res, new URLSearchParams(body));
    if (path === `${asPath}/v1/introspect` || path === `${asPath}/v1/revoke`) {
      return status.serve(req, res, path.endsWith('/introspect') ? 'introspect' : 'revoke', new URLSearchParams(body));
    }
    let request: DevMintRequest;
    try {
      request = JSON.parse(body) as DevMintRequest;
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON' });
    }
    const isObject = (v: unknown) => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));
    if (!isObject(request) || !isObject(request.claims) || !isObject(request.options)) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'expected {claims?: object, options?: object}' });
    }
    const token = await mint(request.claims, request.options);
    sendJson(res, 200, { token_type: 'Bearer', expires_in: request.options?.expiresInSeconds ?? 3600, access_token: token }, NO_STORE);
  }

  /** client_credentials as Okta answers it: sub is the client id, no uid or auth_time. */
  async function handleTokenRequest(req: http.IncomingMessage, res: http.ServerResponse, form: URLSearchParams): Promise<void> {
    if (form.get('grant_type') !== 'client_credentials') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'The dev issuer only supports client_credentials.' }, NO_STORE);
    }
    const scope = (form.get('scope') ?? '').trim();
    if (scope === '') {
      return sendJson(res, 400, {
        error: 'invalid_scope',
        error_description: "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
      }, NO_STORE);
    }
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const clientId = (basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] : form.get('client_id')) || DEV_CLIENT_ID;
    const token = await mint({ cid: clientId, sub: clientId, scp: scope.split(/\s+/) }, { omit: ['uid', 'auth_time'] });
    sendJson(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: token, scope }, NO_STORE);
  }

  /** Answers a request on this authorization server's paths; false when the path is not one of them. */
  function handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, method: string): boolean {
    const openid = path === `${asPath}/.well-known/openid-configuration`;
    const oauth = path === `${asPath}/.well-known/oauth-authorization-server` || path === `/.well-known/oauth-authorization-server${asPath}`;
    if (!openid && !oauth && !path.startsWith(`${asPath}/`)) return false;
    counts.all += 1;
    if (method === 'GET' && (openid || oauth)) {
      counts.discovery += 1;
      serveMetadata(req, res, 'discovery', discoveryDocument(issuer, shared.origin, openid), DISCOVERY_MAX_AGE_SECONDS);
    } else if (method === 'GET' && path === `${asPath}/v1/keys`) {
      counts.jwks += 1;
      serveMetadata(req, res, 'jwks', keys.jwks(), jwksMaxAge);
    } else if (method === 'POST' && path === `${asPath}/v1/introspect` && fault?.on === 'introspect') {
      counts.introspect += 1;
      misbehave(req, res, fault);
    } else if (method === 'POST' && [`${asPath}/v1/token`, `${asPath}/v1/dev/mint`, `${asPath}/v1/introspect`, `${asPath}/v1/revoke`].includes(path)) {
      if (path.endsWith('/v1/introspect')) counts.introspect += 1;
      handlePost(req, res, path).catch((err: Error) => {
        if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request', error_description: err.message });
      });
    } else if (path.startsWith(`${asPath}${CONTROL_PREFIX}`)) {
      serveControl(req, res, path.slice(`${asPath}${CONTROL_PREFIX}`.length), method, facade, shared.controlsFromAnyAddress);
    } else {
      oktaNotFound(res, path, method);
    }
    return true;
  }

  const facade: DevIssuer = {
    issuer,
    jwksUri: `${issuer}/v1/keys`,
    localBaseUrl: shared.localBaseUrl,
    mint,
    rotate: async ({ retireOld = false } = {}) => {
      const key = await keys.addCurrent();
      if (retireOld) keys.retireAllButCurrent();
      return { kid: key.kid };
    },
    retire: (kid) => keys.retire(kid),
    currentKid: () => keys.current().kid,
    setFault: (next) => {
      if (next) validateFault(next);
      fault = next;
    },
    setCacheMaxAge: (seconds) => {
      if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError('max-age must be a non-negative integer');
      jwksMaxAge = seconds;
    },
    requestCount: (path = 'all') => counts[path],
    resetCounts: () => {
      counts.discovery = counts.jwks = counts.introspect = counts.all = 0;
    },
    setClientKey: (jwk) => status.setClientKey(jwk),
    addAuthServer: (path) => shared.add(path),
    ssf: { issuer: shared.transmitter.issuer, sign: (request) => shared.transmitter.sign(request), push: (request) => shared.transmitter.push(request) },
    close: async () => void shared.servers.delete(asPath),
  };
  return { asPath, handle, facade };
}

export async function startDevIssuer(opts: DevIssuerOptions = {}): Promise<DevIssuer> {
  const algorithm = opts.algorithm ?? 'RS256';
  if (!ISSUER_ALGORITHMS.includes(algorithm)) throw new RangeError(`unsupported algorithm ${algorithm}`);
  const host = opts.host ?? '127.0.0.1';
  const servers = new Map<string, AuthServer>();

  function route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://issuer.invalid').pathname;
    const method = req.method ?? 'GET';
    if (shared.transmitter.handle(res, path, method)) return;
    // The longest authorization-server path first: '/oauth2/default' before the org server's ''.
    for (const as of [...servers.values()].sort((a, b) => b.asPath.length - a.asPath.length)) if (as.handle(req, res, path, method)) return;
    oktaNotFound(res, path, method);
  }

  const server = http.createServer(route);
  const localBaseUrl = baseUrlFor(host, await listen(server, opts.port ?? 0, host));
  const origin = (opts.publicBaseUrl ?? localBaseUrl).replace(/\/+$/, '');
  const shared: Listener = {
    origin,
    localBaseUrl, algorithm, servers,
    transmitter: await createSsfTransmitter(origin),
    cacheMaxAgeSeconds: opts.cacheMaxAgeSeconds ?? 3600,
    controlsFromAnyAddress: opts.controlsFromAnyAddress ?? false,
    timers: new Set<NodeJS.Timeout>(),
    add: async (path) => {
      const asPath = normaliseAuthServerPath(path);
      const existing = servers.get(asPath);
      if (existing) return existing.facade;
      const created = await createAuthServer(asPath, shared);
      servers.set(asPath, created);
      return created.facade;
    },
  };
  try {
    const main = await shared.add(opts.authServerPath ?? '/oauth2/default');
    return {
      ...main,
      close: () =>
        new Promise<void>((resolve) => {
          for (const timer of shared.timers) clearTimeout(timer);
          shared.timers.clear();
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  } catch (err) {
    server.close();
    throw err;
  }
}

if (require.main === module) {
  const algorithm = (process.env.ALGORITHM ?? 'RS256') as IssuerAlgorithm;
  startDevIssuer({
    port: Number(process.env.PORT ?? 9000),
    host: process.env.HOST ?? '127.0.0.1',
    publicBaseUrl: process.env.PUBLIC_BASE_URL || undefined,
    authServerPath: process.env.AUTH_SERVER_PATH,
    algorithm,
    controlsFromAnyAddress: process.env.DEV_ISSUER_CONTROLS === 'any',
  }).then(
    (dev) => {
      console.log(`dev issuer (DEV ONLY, mints tokens for anyone): ${dev.issuer}`);
      console.log(`listening on ${dev.localBaseUrl}; keys at ${dev.jwksUri}`);
      const stop = () => void dev.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (err: Error) => {
      console.error(`dev issuer failed to start: ${err.message}`);
      process.exit(1);
    },
  );
}

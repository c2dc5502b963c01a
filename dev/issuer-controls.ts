// HTTP controls of the dev issuer, so tests drive it over the network and the key-set scenarios run
// against any Kong, not only the in-process double. DEV ONLY, under each authorization server's
// dev path {as}/v1/dev/control, and answered to loopback clients only unless the issuer was started
// with controlsFromAnyAddress (DEV_ISSUER_CONTROLS=any, for a closed test network such as compose):
//   POST   …/keys/rotate            {retireOld?: boolean}  -> {kid}     new current key
//   POST   …/keys/retire            {kid}                  -> {kid}     stop publishing one key (404 unknown/current)
//   GET    …/keys/current                                  -> {kid}
//   PUT    …/fault                  IssuerFault | null     -> {fault}   go down ({kind:'status',status:503}) / come back (null)
//   PUT    …/cache-max-age          {seconds}              -> {seconds} the key set's Cache-Control max-age
//   GET    …/requests                                      -> {discovery, jwks, introspect, all}; DELETE resets them
//   PUT    …/client-key             {jwk} | null           -> {}        the key private_key_jwt assertions are signed with
//   POST   …/authorization-servers  {path}                 -> {issuer}  serve another authorization server path
//   POST   …/ssf/set                SetRequest             -> {set}     a SET signed by the SSF transmitter (ssf-transmitter.ts)
//   POST   …/ssf/push               PushRequest            -> {status, body}  a SET pushed to a receiver
import type http from 'node:http';
import { readBody, sendJson } from './http-json';
import type { DevIssuer, IssuerFault } from './issuer';
import type { PushRequest } from './ssf-transmitter';
import type { JWK } from 'jose';

export const CONTROL_PREFIX = '/v1/dev/control';

const FAULT_KINDS = new Set(['status', 'garbage', 'wrong-shape', 'slow', 'huge', 'refuse', 'hang']);

function fromLoopback(req: http.IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Handler = (dev: DevIssuer, body: unknown) => Promise<[number, unknown]> | [number, unknown];

const bad = (description: string): [number, unknown] => [400, { error: 'invalid_request', error_description: description }];

const HANDLERS: Record<string, Handler> = {
  'POST /ssf/set': async (dev, body) => [200, { set: await dev.ssf.sign(isObject(body) ? body : {}) }],
  'POST /ssf/push': async (dev, body) => {
    if (!isObject(body) || typeof body.endpoint !== 'string' || !/^https?:\/\//.test(body.endpoint)) return bad('expected {endpoint: "http(s)://…", authorization?, event?, subject?, …}');
    return [200, await dev.ssf.push(body as unknown as PushRequest)];
  },
  'POST /keys/rotate': async (dev, body) => [200, await dev.rotate({ retireOld: isObject(body) && body.retireOld === true })],
  'POST /keys/retire': (dev, body) => {
    const kid = isObject(body) ? body.kid : undefined;
    if (typeof kid !== 'string') return bad('expected {kid: string}');
    return dev.retire(kid) ? [200, { kid }] : [404, { error: 'not_found', error_description: 'no published key with this kid other than the current one' }];
  },
  'GET /keys/current': (dev) => [200, { kid: dev.currentKid() }],
  'PUT /fault': (dev, body) => {
    if (body !== null && !(isObject(body) && FAULT_KINDS.has(String(body.kind)))) return bad(`expected null or {kind: ${[...FAULT_KINDS].join(' | ')}, ...}`);
    dev.setFault(body as IssuerFault | null);
    return [200, { fault: body }];
  },
  'PUT /cache-max-age': (dev, body) => {
    dev.setCacheMaxAge(isObject(body) ? (body.seconds as number) : NaN);
    return [200, body];
  },
  'GET /requests': (dev) => [200, { discovery: dev.requestCount('discovery'), jwks: dev.requestCount('jwks'), introspect: dev.requestCount('introspect'), all: dev.requestCount('all') }],
  'PUT /client-key': (dev, body) => {
    if (body !== null && !(isObject(body) && isObject(body.jwk))) return bad('expected {jwk: {...}} or null');
    dev.setClientKey(body === null ? null : (body.jwk as JWK));
    return [200, {}];
  },
  'DELETE /requests': (dev) => {
    dev.resetCounts();
    return [204, undefined];
  },
  'POST /authorization-servers': async (dev, body) => {
    const path = isObject(body) ? body.path : undefined;
    if (typeof path !== 'string' || !/^\/[A-Za-z0-9/_-]*$/.test(path)) return bad('expected {path: "/oauth2/<id>"}');
    return [201, { issuer: (await dev.addAuthServer(path)).issuer }];
  },
};

/** Answers one control request (`sub` is the path after {as}/v1/dev/control). */
export function serveControl(req: http.IncomingMessage, res: http.ServerResponse, sub: string, method: string, dev: DevIssuer, anyAddress: boolean): void {
  if (!anyAddress && !fromLoopback(req)) {
    return sendJson(res, 403, { error: 'access_denied', error_description: 'dev issuer controls answer loopback clients only (DEV_ISSUER_CONTROLS=any for a test network)' });
  }
  const handler = HANDLERS[`${method} ${sub}`];
  if (!handler) return sendJson(res, 404, { error: 'not_found', error_description: `no dev control ${method} ${sub}` });
  void (async () => {
    const text = await readBody(req);
    if (text === null) return sendJson(res, 413, { error: 'invalid_request', error_description: 'body too large' });
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON' });
    }
    const [status, answer] = await handler(dev, body);
    if (status === 204) return void res.writeHead(204).end();
    sendJson(res, status, answer);
  })().catch((err: Error) => {
    if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request', error_description: err.message });
  });
}

// okta-jwt-pluginserver's `kong` object and event queue (server/pdk-bridge.ts) against kong-pdk's
// own bridge: the same PDK method names for the same property paths, answers matched to calls in
// order, terminal calls resolved at once, and Kong's errors thrown as kong-pdk's PDKError.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { EventExchange, eventPdk } from '../../../server/pdk-bridge';

const kongPdkRequire = createRequire(require.resolve('kong-pdk/server'));
const StockPdk = kongPdkRequire('./pdk') as { new (pipe: unknown): { kong: unknown }; Error: new (m: string) => Error };

type Path = string[];
const PATHS: Path[] = [
  ['request', 'getHeaders'], ['request', 'getHeader'], ['request', 'getPathWithQuery'], ['request', 'getRawQuery'],
  ['service', 'request', 'setHeaders'], ['service', 'request', 'clearHeader'], ['service', 'request', 'setRawQuery'],
  ['ctx', 'shared', 'set'], ['client', 'getCredential'], ['client', 'loadConsumer'], ['log', 'setSerializeValue'],
  ['response', 'exit'], ['nginx', 'getTls1VersionStr'], ['request', 'getForwardedHost'], ['ABc', 'xYZ', 'aBcDe'],
];

function follow(root: unknown, path: Path): (...args: unknown[]) => Promise<unknown> {
  return path.reduce((node, key) => (node as Record<string, unknown>)[key], root) as (...args: unknown[]) => Promise<unknown>;
}

/** The method name kong-pdk's bridge sends for `path`. */
function stockMethod(path: Path): string {
  let sent = '';
  const pipe = { put: (m: { Method: string }) => (sent = m.Method), get: () => new Promise(() => undefined) };
  void follow(new StockPdk(pipe).kong, path)();
  return sent;
}

describe('okta-jwt-pluginserver PDK bridge', () => {
  it('names every PDK call as kong-pdk does', () => {
    for (const path of PATHS) {
      const exchange = new EventExchange();
      const sent: string[] = [];
      exchange.fromHandler.put = (m) => void sent.push(typeof m === 'string' ? m : m.Method);
      void follow(eventPdk(exchange), path)();
      expect(sent, path.join('.')).to.deep.equal([stockMethod(path)]);
    }
  });

  it('sends calls in the order made and hands each answer to its own call', async () => {
    const exchange = new EventExchange();
    const kong = eventPdk(exchange) as { request: { getHeader(n: string): Promise<unknown> } };
    const first = kong.request.getHeader('a');
    const second = kong.request.getHeader('b');
    expect(await exchange.fromHandler.take()).to.deep.equal({ Method: 'kong.request.get_header', Args: ['a'] });
    expect(await exchange.fromHandler.take()).to.deep.equal({ Method: 'kong.request.get_header', Args: ['b'] });
    exchange.toHandler.put(['A', undefined]);
    exchange.toHandler.put(['B', undefined]);
    expect(await first).to.equal('A');
    expect(await second).to.equal('B');
  });

  it('resolves kong.response.exit at once (Kong never answers it) and throws Kong errors as PDKError', async () => {
    const exchange = new EventExchange();
    const kong = eventPdk(exchange) as { response: { exit(s: number): Promise<unknown> }; request: { getPath(): Promise<unknown> } };
    expect(await kong.response.exit(401)).to.equal(undefined);
    const path = kong.request.getPath();
    exchange.toHandler.put([undefined, 'boom']);
    const err = await path.then(() => null, (e: Error) => e);
    expect(err).to.be.instanceOf(StockPdk.Error);
    expect(err?.message).to.equal('PDK method kong.request.get_path failed:  boom');
  });

  it('reuses one callable per path within an event; a symbol throws (as kong-pdk) and makes no PDK call', () => {
    const exchange = new EventExchange();
    const sent: unknown[] = [];
    exchange.fromHandler.put = (m) => void sent.push(m);
    const kong = eventPdk(exchange) as Record<string | symbol, Record<string, unknown>>;
    expect(kong.request!.getHeaders).to.equal(kong.request!.getHeaders);
    expect(() => kong[Symbol.toPrimitive]).to.throw(TypeError);
    expect(() => String(kong.request)).to.throw(TypeError);
    expect(sent).to.deep.equal([]);
  });

  it('keeps property names with dots apart (the name cache cannot mix two paths)', () => {
    const sent: string[] = [];
    const exchange = new EventExchange();
    exchange.fromHandler.put = (m) => void sent.push(typeof m === 'string' ? m : m.Method);
    const kong = eventPdk(exchange) as Record<string, Record<string, () => unknown>>;
    void kong['aBC']!.t!();
    void (kong as unknown as Record<string, () => unknown>)['a_bC.t']!();
    expect(sent).to.deep.equal(['kong.a_bC.t', 'kong.a_b_c.t']);
  });

  it('a failing PDK call the handler did not wait for is no unhandled rejection; an awaited one still throws', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const exchange = new EventExchange();
      const kong = eventPdk(exchange) as { log: { warn(m: string): Promise<unknown> }; request: { getPath(): Promise<unknown> } };
      void kong.log.warn('x');
      const awaited = kong.request.getPath();
      exchange.toHandler.put([undefined, 'bad argument']);
      exchange.toHandler.put([undefined, 'boom']);
      expect(await awaited.then(() => 'resolved', (e: Error) => e.message)).to.equal('PDK method kong.request.get_path failed:  boom');
      await new Promise((r) => setImmediate(r));
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

// The `kong` object a handler receives for one event, and the queue its PDK calls travel through.
// Same contract as kong-pdk's bridge (pdk.js, lib/pipe.js), cheaper per request: a property path
// becomes the PDK method kong-pdk would name (kong.request.getHeaders → "kong.request.get_headers"),
// but the name is converted once per process, not with a regex on every property read, and each
// path's callable is made once per event instead of a new Proxy per read.
import { createRequire } from 'node:module';

/** kong-pdk's PDKError (its PDK class exposes it as a static getter), so plugins see the same class. */
const PdkError = (createRequire(require.resolve('kong-pdk/server'))('./pdk') as { Error: new (message: string) => Error }).Error;

/** Kong answers a PDK call with [value] or [undefined, error]; the handler's calls are answered in order. */
export type PdkReply = [unknown, unknown];

/** PDK calls that end the request in Kong: no answer ever follows them (kong-pdk's NON_RETURN_METHODS). */
export const TERMINAL_METHODS: ReadonlySet<string> = new Set(['kong.response.exit', 'kong.response.error']);

/** A FIFO where a taker waits for the next value: promise-light (no promise is made for a value nobody waits on). */
export class MessageQueue<T> {
  private readonly values: T[] = [];
  private readonly takers: Array<(value: T) => void> = [];

  put(value: T): void {
    const taker = this.takers.shift();
    if (taker !== undefined) taker(value);
    else this.values.push(value);
  }

  take(): Promise<T> {
    if (this.values.length > 0) return Promise.resolve(this.values.shift() as T);
    return new Promise((resolve) => this.takers.push(resolve));
  }
}

/** One event's two directions: the handler's PDK calls (then "ret") out, Kong's answers back in. */
export class EventExchange {
  readonly fromHandler = new MessageQueue<'ret' | { Method: string; Args: unknown[] }>();
  readonly toHandler = new MessageQueue<PdkReply>();

  /** The handler side of a PDK call: queued at once; resolved with Kong's answer (terminal calls: undefined at once). */
  call(method: string, args: unknown[]): Promise<unknown> {
    this.fromHandler.put({ Method: method, Args: args });
    if (TERMINAL_METHODS.has(method)) return Promise.resolve(undefined);
    const answer = this.toHandler.take().then(([value, error]) => {
      if (error) throw new PdkError(`PDK method ${method} failed:  ${error}`);
      return value;
    });
    // A call the handler did not wait for (`void kong.log.warn(…)`) may fail in Kong: that must not
    // become an unhandled rejection, which ends the process. A handler that awaits still gets the error.
    answer.catch(() => undefined);
    return answer;
  }
}

const MAX_CACHED_NAMES = 4096;
let cachedNames = 0;
/** Parent method → property → method: lookups by strings that already exist, nothing built per read. */
const methodNames = new Map<string, Map<string, string>>();

/** kong-pdk's naming: each lower-case letter followed by an upper-case one gets a `_` between, both lower-cased. */
function methodName(parent: string, property: string): string {
  let children = methodNames.get(parent);
  let name = children?.get(property);
  if (name === undefined) {
    name = `${parent}.${property.replace(/[a-z][A-Z]/g, (pair) => `${pair[0]}_${pair[1]}`.toLowerCase())}`;
    // Bounded: a plugin reading computed property names must not grow the process.
    if (cachedNames < MAX_CACHED_NAMES) {
      if (children === undefined) methodNames.set(parent, (children = new Map()));
      children.set(property, name);
      cachedNames++;
    }
  }
  return name;
}

type Node = ((...args: unknown[]) => Promise<unknown>) & { readonly method: string };

/** The `kong` root for one event: every path is callable and has every child path. */
export function eventPdk(exchange: EventExchange): unknown {
  const nodes = new Map<string, Node>();
  const handler: ProxyHandler<Node> = {
    get(target, property) {
      // As kong-pdk: a symbol names no PDK call, and answering one (Symbol.toPrimitive) would turn
      // String(node) into PDK calls for toString and valueOf.
      if (typeof property !== 'string') throw new TypeError('PDK paths are property names, not symbols');
      const method = methodName(target.method, property);
      let child = nodes.get(method);
      if (child === undefined) nodes.set(method, (child = node(method)));
      return child;
    },
  };
  const node = (method: string): Node => {
    const fn = (...args: unknown[]) => exchange.call(method, args);
    return new Proxy(Object.assign(fn, { method }), handler);
  };
  return node('kong');
}

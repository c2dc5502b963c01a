// The PDK calls the plugin makes, typed as they really behave over the plugin-server bridge
// (kong-protocol.md §3, kong-transcripts/batch2): missing values arrive as null, header maps as
// {name: [values]}, only the first return value survives, and exit resolves at once without a
// reply. kong-pdk's own typings (generated from Kong's Lua docs) declare tuples and Buffer bodies
// that do not match the runtime, so they are not used.
export type HeaderMultiMap = Record<string, Array<string | true>>;

export interface Pdk {
  request: {
    getHeaders(maxHeaders?: number): Promise<HeaderMultiMap | null>;
    getMethod(): Promise<string | null>;
    getPath(): Promise<string | null>;
    getRawQuery(): Promise<string | null>;
    /** ngx.var.request_uri: the request target as sent, the part of the request line nginx logs. */
    getPathWithQuery(): Promise<string | null>;
    getForwardedScheme(): Promise<string | null>;
    getForwardedHost(): Promise<string | null>;
    /** A number on Kong 3.9, a string on 3.4 (kong-transcripts batch2). */
    getForwardedPort(): Promise<number | string | null>;
    /** Bytes (msgpack bin) or a string; null/undefined when nginx buffered the body to a file (larger than client_body_buffer_size). */
    getRawBody(): Promise<Uint8Array | string | null | undefined>;
  };
  client: {
    getCredential(): Promise<unknown>;
    loadConsumer(id: string, byUsername?: true): Promise<unknown>;
    /** Only trailing nulls are safe in PDK arguments: call with the consumer alone for "no credential". */
    authenticate(consumer: object | null, credential?: object): Promise<unknown>;
  };
  ctx: {
    shared: {
      set(key: string, value: unknown): Promise<unknown>;
    };
  };
  service: {
    request: {
      setHeaders(headers: Record<string, string>): Promise<unknown>;
      clearHeader(name: string): Promise<unknown>;
      setRawQuery(query: string): Promise<unknown>;
    };
  };
  response: {
    exit(status: number, body?: Record<string, unknown>, headers?: Record<string, string>): Promise<unknown>;
  };
  log: {
    err(...args: string[]): Promise<unknown>;
    warn(...args: string[]): Promise<unknown>;
    notice(...args: string[]): Promise<unknown>;
    info(...args: string[]): Promise<unknown>;
    debug(...args: string[]): Promise<unknown>;
    /** Kong applies `options.mode` when it serializes: set (default), add (only if absent), replace (only if present). */
    setSerializeValue(key: string, value: unknown, options?: { mode: 'set' | 'add' | 'replace' }): Promise<unknown>;
  };
}

// The few PDK calls the plugin makes, typed as they really behave over the plugin-server bridge
// (kong-protocol.md §3): missing values arrive as null, header maps as {name: [values]}, only the
// first return value survives, and exit resolves at once without a reply. kong-pdk's own typings
// (generated from Kong's Lua docs) declare tuples and Buffer bodies that do not match runtime.
export type HeaderMultiMap = Record<string, Array<string | true>>;

export interface Pdk {
  request: {
    getHeaders(maxHeaders?: number): Promise<HeaderMultiMap | null>;
    getMethod(): Promise<string | null>;
  };
  service: {
    request: {
      setHeaders(headers: Record<string, string>): Promise<unknown>;
      clearHeader(name: string): Promise<unknown>;
    };
  };
  response: {
    exit(status: number, body?: Record<string, unknown>, headers?: Record<string, string>): Promise<unknown>;
  };
  log: {
    err(...args: string[]): Promise<unknown>;
    warn(...args: string[]): Promise<unknown>;
  };
}

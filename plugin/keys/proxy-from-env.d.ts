// proxy-from-env ships no types; the one function okta-jwt uses.
declare module 'proxy-from-env' {
  /** The proxy URL for `url` from *_PROXY / NO_PROXY (either case), or '' for a direct connection. */
  export function getProxyForUrl(url: string): string;
}

// Which forward proxy, if any, carries a discovery or key-set request. A proxy configured for the
// plugin (key_set.proxy_url) wins and applies to every request of that plugin's key sets; otherwise
// HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY (either case) decide, read per request by
// proxy-from-env. NO_PROXY only exempts from the environment's proxy: a configured proxy_url is an
// explicit per-plugin choice and is always used.
// The tunnel (CONNECT for https, absolute-form requests for http) is the maintained proxy-agents
// packages' work; TLS to the issuer stays end to end with Node's trust store (NODE_EXTRA_CA_CERTS).
// These two agents plus proxy-from-env are the smallest maintained set (proxy-agent adds PAC, SOCKS
// and a JavaScript engine okta-jwt does not need).
/// <reference path="./proxy-from-env.d.ts" />
import http, { type Agent } from 'node:http';
import https from 'node:https';
import { BoundedLru } from '../cache/bounded-lru';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';

/** The proxy for a request to `target`, or null for a direct connection. */
export function proxyFor(target: URL, configured: string | null): URL | null {
  const chosen = configured ?? getProxyForUrl(target.href);
  if (chosen === '') return null;
  try {
    return new URL(chosen);
  } catch {
    // A malformed value must not silently mean "direct": fail the fetch instead.
    throw new Error(configured === null ? 'the proxy named by the environment is not a URL' : 'key_set.proxy_url is not a URL');
  }
}

/** A fresh agent per request (refreshes are minutes apart: no pooled sockets), or false: direct. */
export function agentFor(target: URL, proxy: URL | null): Agent | false {
  if (proxy === null) return false;
  return target.protocol === 'https:' ? new HttpsProxyAgent(proxy) : new HttpProxyAgent(proxy);
}

/** The proxy as logs and the doctor show it: scheme, host and port, never credentials. */
export function proxyLabel(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** Keep-alive agents for requests that may run per request (token introspection): direct ones, and one per proxy. */
const directAgents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };
/** Distinct proxies given a pooled agent; the least recently used beyond this is dropped (its sockets close when idle). */
const MAX_PROXY_AGENTS = 16;
const proxyAgents = new BoundedLru<string, Agent>(MAX_PROXY_AGENTS);

/** A pooled agent for `target` through `proxy` (or directly). */
export function pooledAgentFor(target: URL, proxy: URL | null): Agent {
  const secure = target.protocol === 'https:';
  if (proxy === null) return secure ? directAgents.https : directAgents.http;
  const key = `${secure ? 'https' : 'http'} ${proxy.href}`;
  let agent = proxyAgents.get(key);
  if (agent === undefined) {
    agent = secure ? new HttpsProxyAgent(proxy, { keepAlive: true, maxSockets: 64 }) : new HttpProxyAgent(proxy, { keepAlive: true, maxSockets: 64 });
    proxyAgents.set(key, agent);
  }
  return agent;
}

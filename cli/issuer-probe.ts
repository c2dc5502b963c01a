// What the doctor learns from an issuer before looking at any token: the issuer's form (Okta org
// authorization server or custom authorization server), its metadata (found the way the plugin
// finds it), the clock skew between this host and the issuer (its Date header), and its key set
// (filtered by the plugin's own key filter). Only the configured issuer and jwks_uri are contacted.
import http from 'node:http';
import https from 'node:https';
import { acceptableJwksUri } from '../plugin/keys/discovery';
import { agentFor, proxyFor, proxyLabel } from '../plugin/keys/egress-proxy';
import { MAX_KEYS_PER_SET } from '../plugin/keys/remote-key-set';
import { usableKeys } from '../plugin/keys/usable-keys';
import { fail, info, pass, warn, type Check } from './check';

/** One issuer as configured (raw, so a config the plugin refuses can still be probed). */
export interface IssuerTarget {
  issuer: string;
  jwksUri: string | null;
  /** Field prefix: '' for the primary issuer, 'additional_issuers[N].' otherwise. */
  where: string;
}

export interface ProbeSettings {
  leewaySeconds: number;
  allowedAlgorithms: string[];
  timeoutMs: number;
  maxBodyBytes: number;
  /** key_set.proxy_url as configured; null: the environment's proxy settings, as in the plugin. */
  proxyUrl: string | null;
}

export interface IssuerProbe {
  checks: Check[];
  /** True when the issuer could not be reached at all (network error, timeout, 5xx). */
  unreachable: boolean;
}

const METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

type Fetched = ({ ok: true; status: number; date: Date | null; body: unknown; text: string; midpoint: number } | { ok: false; error: string }) & {
  /** The proxy the request went through (as the plugin would choose it), or null: direct. */
  via: string | null;
};

/** The plugin's egress (egress-proxy.ts: key_set.proxy_url, else the environment), no redirects, a deadline. */
async function getJson(url: string, settings: ProbeSettings): Promise<Fetched> {
  const started = Date.now();
  let via: string | null = null;
  try {
    const target = new URL(url);
    const proxy = proxyFor(target, settings.proxyUrl);
    via = proxy === null ? null : proxyLabel(proxy);
    const res = await get(target, agentFor(target, proxy), settings.timeoutMs);
    const midpoint = (started + Date.now()) / 2;
    const date = res.date === undefined || Number.isNaN(Date.parse(res.date)) ? null : new Date(res.date);
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    return { ok: true, status: res.status, date, body, text: res.text, midpoint, via };
  } catch (err) {
    const { code, name, message } = err as NodeJS.ErrnoException;
    return { ok: false, error: name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${settings.timeoutMs} ms` : (code ?? message), via };
  }
}

function get(url: URL, agent: http.Agent | false, timeoutMs: number): Promise<{ status: number; date: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { agent, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, date: res.headers.date, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Okta: a custom authorization server's issuer ends in /oauth2/<id>; the org AS issuer is the bare org URL. */
export function issuerForm(target: IssuerTarget): Check {
  const id = `issuer.form${target.where === '' ? '' : `:${target.where}`}`;
  const field = `${target.where}issuer`;
  let url: URL;
  try {
    url = new URL(target.issuer);
  } catch {
    return fail(id, `"${target.issuer}" is not a URL`, field);
  }
  const custom = /^\/oauth2\/([^/]+)$/.exec(url.pathname);
  if (custom !== null && url.search === '' && !target.issuer.endsWith('/')) {
    return pass(id, `Okta custom authorization server "${custom[1]}" at ${url.origin}`, field);
  }
  if (url.pathname === '/' || url.pathname === '') {
    return fail(
      id,
      `${target.issuer} is the Okta org authorization server: its access tokens are for Okta's own APIs and must not be validated by your API. ` +
        `Use a custom authorization server, e.g. ${url.origin}/oauth2/default, and its audience`,
      field,
    );
  }
  return fail(id, `"${target.issuer}" is not of the form https://<org>/oauth2/<authorization server id> (no trailing slash)`, field);
}

function clockCheck(id: string, fetched: Extract<Fetched, { ok: true }>, leewaySeconds: number): Check {
  if (fetched.date === null) return warn(id, 'the issuer sent no usable Date header; clock skew not measured');
  // Date has a one-second resolution: a skew under 2 s is indistinguishable from none.
  const skew = Math.round((fetched.date.getTime() - fetched.midpoint) / 1000);
  const side = skew > 0 ? 'behind' : 'ahead of';
  const text = `this host's clock is ${Math.abs(skew)} s ${side} the issuer's (Date: ${fetched.date.toUTCString()}); leeway_seconds is ${leewaySeconds}`;
  if (Math.abs(skew) <= 2) return pass(id, `this host's clock agrees with the issuer's within 2 s (Date: ${fetched.date.toUTCString()})`, 'leeway_seconds');
  if (Math.abs(skew) > leewaySeconds) return fail(id, `${text}: fresh tokens will look ${skew > 0 ? 'not yet valid (iat in the future)' : 'older than they are, and expire early'}; fix time sync (NTP) on the gateway host`, 'leeway_seconds');
  return warn(id, `${text}: within the leeway, but fix time sync (NTP) on the gateway host`, 'leeway_seconds');
}

const unreachableAnswer = (f: Fetched) => !f.ok || f.status >= 500;

async function keysCheck(id: string, jwksUri: string, field: string, settings: ProbeSettings, fetched: Fetched): Promise<{ check: Check; unreachable: boolean }> {
  if (!fetched.ok) return { check: fail(id, `${jwksUri}: ${fetched.error}`, field, 'keys_unavailable'), unreachable: true };
  if (fetched.status !== 200) return { check: fail(id, `${jwksUri} answered HTTP ${fetched.status} (the plugin needs exactly 200)`, field, 'keys_unavailable'), unreachable: fetched.status >= 500 };
  if (Buffer.byteLength(fetched.text) > settings.maxBodyBytes) {
    return { check: fail(id, `${jwksUri}: ${Buffer.byteLength(fetched.text)} bytes exceed key_set.max_body_bytes (${settings.maxBodyBytes})`, 'key_set.max_body_bytes', 'keys_unavailable'), unreachable: false };
  }
  try {
    const usable = await usableKeys(fetched.body, MAX_KEYS_PER_SET);
    const skipped = Object.entries(usable.skipped).map(([why, n]) => `${n} × ${why}`);
    const algs = new Set(usable.jwks.keys.map((k) => k.alg).filter((a): a is string => typeof a === 'string'));
    const kids = [...usable.kids].join(', ');
    const summary = `${usable.jwks.keys.length} usable key(s) at ${jwksUri} (kid ${kids || 'none'})${skipped.length ? `; ignored: ${skipped.join(', ')}` : ''}`;
    if (algs.size === usable.jwks.keys.length && ![...algs].some((a) => settings.allowedAlgorithms.includes(a))) {
      return { check: fail(id, `${summary}; but no key is for an allowed algorithm (keys: ${[...algs].join(', ')})`, 'allowed_algorithms', 'unknown_key'), unreachable: false };
    }
    return { check: pass(id, summary, field), unreachable: false };
  } catch (err) {
    return { check: fail(id, `${jwksUri}: ${(err as Error).message}`, field, 'keys_unavailable'), unreachable: false };
  }
}

/** Says which forward proxy carried the issuer requests (none: no line; the requests went direct). */
function proxyChecks(proxies: ReadonlySet<string>, suffix: string, settings: ProbeSettings): Check[] {
  if (proxies.size === 0) return [];
  const source = settings.proxyUrl !== null ? 'key_set.proxy_url' : 'HTTPS_PROXY / HTTP_PROXY (NO_PROXY does not exempt this issuer)';
  return [info(`issuer.proxy${suffix}`, `issuer requests went through proxy ${[...proxies].join(', ')} (from ${source})`, settings.proxyUrl !== null ? 'key_set.proxy_url' : null)];
}

export async function probeIssuer(target: IssuerTarget, settings: ProbeSettings): Promise<IssuerProbe> {
  const suffix = target.where === '' ? '' : `:${target.where}`;
  const checks: Check[] = [issuerForm(target)];
  const issuerField = `${target.where}issuer`;
  const base = target.issuer.replace(/\/+$/, '');
  let discovered: { jwksUri: string } | null = null;
  let firstAnswer: Extract<Fetched, { ok: true }> | null = null;
  const failures: string[] = [];
  let unreachable = true;
  const proxies = new Set<string>();

  for (const path of METADATA_PATHS) {
    const fetched = await getJson(base + path, settings);
    if (fetched.via !== null) proxies.add(fetched.via);
    if (fetched.ok) firstAnswer ??= fetched;
    if (!unreachableAnswer(fetched)) unreachable = false;
    if (!fetched.ok) {
      failures.push(`${path}: ${fetched.error}`);
      continue;
    }
    if (fetched.status !== 200 || typeof fetched.body !== 'object' || fetched.body === null) {
      failures.push(`${path}: HTTP ${fetched.status}${fetched.body === undefined ? ', not JSON' : ''}`);
      continue;
    }
    const metadata = fetched.body as Record<string, unknown>;
    if (metadata.issuer !== target.issuer) {
      failures.push(`${path}: the metadata names issuer "${String(metadata.issuer)}", not "${target.issuer}" (iss must match exactly: scheme, host, custom domain, no trailing slash)`);
      continue;
    }
    if (typeof metadata.jwks_uri !== 'string' || !URL.canParse(metadata.jwks_uri) || !acceptableJwksUri(new URL(metadata.jwks_uri), new URL(target.issuer))) {
      failures.push(`${path}: jwks_uri ${JSON.stringify(metadata.jwks_uri)} is missing or not https`);
      continue;
    }
    discovered = { jwksUri: metadata.jwks_uri };
    checks.push(pass(`issuer.discovery${suffix}`, `${base}${path} names this issuer and jwks_uri ${metadata.jwks_uri}`, issuerField));
    break;
  }
  if (discovered === null) {
    // With an explicit jwks_uri the plugin never reads the metadata: then this is only a warning.
    const text = `no usable issuer metadata (${failures.join('; ')})`;
    checks.push(target.jwksUri === null ? fail(`issuer.discovery${suffix}`, text, issuerField, 'keys_unavailable') : warn(`issuer.discovery${suffix}`, text, issuerField));
  }
  checks.push(firstAnswer === null ? info(`issuer.clock${suffix}`, 'the issuer did not answer; clock skew not measured') : clockCheck(`issuer.clock${suffix}`, firstAnswer, settings.leewaySeconds));

  const jwksUri = target.jwksUri ?? discovered?.jwksUri ?? null;
  if (jwksUri === null) return { checks: [...checks, ...proxyChecks(proxies, suffix, settings)], unreachable };
  const keysFetched = await getJson(jwksUri, settings);
  if (keysFetched.via !== null) proxies.add(keysFetched.via);
  const keys = await keysCheck(`issuer.keys${suffix}`, jwksUri, target.jwksUri !== null ? `${target.where}jwks_uri` : issuerField, settings, keysFetched);
  checks.push(keys.check, ...proxyChecks(proxies, suffix, settings));
  return { checks, unreachable: (discovered === null && target.jwksUri === null && unreachable) || keys.unreachable };
}

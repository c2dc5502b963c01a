// Command-line options of `okta-jwt doctor`. The plugin config comes from a kong.yml (or decK
// JSON, or saved Admin API output) file, from a running Kong's Admin API, from flags, or a file
// or Kong with flags over it; --route/--service pick the config that applies.
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export interface DoctorOptions {
  configFile: string | null;
  route: string | null;
  service: string | null;
  /** Raw plugin config fields given as flags, merged over the file's config. */
  overrides: Record<string, unknown>;
  token: { from: 'flag' | 'file' | 'stdin'; value: string } | null;
  /** Request header lines as the client sent them (lower-cased names), e.g. to explain token_missing. */
  requestHeaders: Record<string, string[]>;
  method: string | null;
  path: string | null;
  timeoutMs: number;
  json: boolean;
  /** Live Kong node checks through its Admin API (kong-node.ts). */
  adminUrl: string | null;
  adminHeaders: Record<string, string>;
  /** kong.conf or environment file, judged for `kongVersion`. */
  kongConf: string | null;
  kongVersion: string | null;
}

export const USAGE = `Usage: okta-jwt doctor [options]

Explains, check by check, why okta-jwt would accept or refuse a token, using the plugin's own code.
The token is never sent anywhere and never printed (only its SHA-256 prefix, as in the plugin's log).

Plugin config (flags override values read from --config):
  --config FILE            kong.yml / decK file (YAML or JSON), or saved Admin API output (curl …/plugins)
  --route NAME|ID          use the okta-jwt plugin that applies to this route (route, else its service, else global)
  --service NAME|ID        use the okta-jwt plugin that applies to this service (service, else global)
                           (with --admin-url and no --config: the running Kong's plugins; without
                           --route/--service there, every okta-jwt config on the node is checked)
  --issuer URL             issuer (Okta custom authorization server, https://<org>/oauth2/<id>)
  --audience AUD           accepted audience (repeatable)
  --jwks-uri URL           key-set URL (default: discovered)
  --scope SCOPE            required scope (repeatable); --scopes-match all|any
  --client-id CID          allowed Okta client id (repeatable)
  --claim NAME=V1,V2       required claim value(s) (repeatable, any of the values)
  --amr VALUE, --acr VALUE step-up requirements (repeatable); --max-auth-age SECONDS
  --header CLAIM:HEADER    claims_to_headers mapping (repeatable)
  --algorithm ALG          allowed algorithm (repeatable); --leeway SECONDS; --max-token-age SECONDS
  --allow-insecure-issuer  allow a plain-http issuer (development only)
  --set FIELD=VALUE        any other config field (dot path; VALUE is JSON, or else a string)

Token and request:
  --token TOKEN | --token-file FILE | --token -   (- reads standard input)
  --request-header 'NAME: VALUE'  a header as the client sent it (repeatable), e.g. to see why a request
                           without a usable Bearer credential is refused; --token adds "Bearer TOKEN" to token_header
  --method METHOD, --path PATH   the request, for policies in "rules"

Kong node (plugin-server settings for its version, the fail-closed guard on every okta-jwt route,
and its okta-jwt configs):
  --admin-url URL          a running Kong's Admin API (DB-less or database): reads GET / (version,
                           plugin-server settings), GET /services, /routes and /plugins (every page)
  --admin-header 'NAME: VALUE'  sent to the Admin API (repeatable), e.g. 'Kong-Admin-Token: …'
                           (--header is the claims_to_headers mapping above)
  --kong-conf FILE         a kong.conf or KONG_… environment file, with --kong-version X.Y.Z

Output:
  --json                   machine-readable report
  --timeout-ms MS          per issuer request (default 5000)

Exit codes: 0 every check passed; 1 the token is refused for a reason of its own, or the config or
the Kong node has a problem (even when the issuer is unreachable too); 2 usage error or unreadable
config; 3 nothing else is wrong but the issuer (discovery or keys) or the Admin API is unreachable
(a token is then refused 503 keys_unavailable, as the plugin would).`;

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number of seconds or milliseconds, got "${value}"`);
  return Number(value);
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const segments = dotted.split('.');
  if (segments.some((s) => s === '' || s === '__proto__' || s === 'constructor' || s === 'prototype')) throw new UsageError(`--set: bad field "${dotted}"`);
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    const child: Record<string, unknown> = typeof next === 'object' && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
    node[segment] = child;
    node = child;
  }
  node[segments[segments.length - 1]] = value;
}

function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function split(flag: string, value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  if (at <= 0 || at === value.length - 1) throw new UsageError(`--${flag} expects LEFT${separator}RIGHT, got "${value}"`);
  return [value.slice(0, at), value.slice(at + 1)];
}

export function parseDoctorArgs(argv: string[]): DoctorOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        route: { type: 'string' },
        service: { type: 'string' },
        issuer: { type: 'string' },
        audience: { type: 'string', multiple: true },
        'jwks-uri': { type: 'string' },
        scope: { type: 'string', multiple: true },
        'scopes-match': { type: 'string' },
        'client-id': { type: 'string', multiple: true },
        claim: { type: 'string', multiple: true },
        amr: { type: 'string', multiple: true },
        acr: { type: 'string', multiple: true },
        'max-auth-age': { type: 'string' },
        header: { type: 'string', multiple: true },
        algorithm: { type: 'string', multiple: true },
        leeway: { type: 'string' },
        'max-token-age': { type: 'string' },
        'allow-insecure-issuer': { type: 'boolean' },
        set: { type: 'string', multiple: true },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'request-header': { type: 'string', multiple: true },
        method: { type: 'string' },
        path: { type: 'string' },
        json: { type: 'boolean' },
        'timeout-ms': { type: 'string' },
        'admin-url': { type: 'string' },
        'admin-header': { type: 'string', multiple: true },
        'kong-conf': { type: 'string' },
        'kong-version': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) throw new UsageError('');
  if (v.route !== undefined && v.service !== undefined) throw new UsageError('give --route or --service, not both');
  if ((v.route !== undefined || v.service !== undefined) && v.config === undefined && v['admin-url'] === undefined) throw new UsageError('--route and --service need --config or --admin-url');
  if (v.token !== undefined && v['token-file'] !== undefined) throw new UsageError('give --token or --token-file, not both');

  const o: Record<string, unknown> = {};
  if (v.issuer !== undefined) o.issuer = v.issuer;
  if (v.audience !== undefined) o.audiences = v.audience;
  if (v['jwks-uri'] !== undefined) o.jwks_uri = v['jwks-uri'];
  if (v.scope !== undefined) o.scopes_required = v.scope;
  if (v['scopes-match'] !== undefined) o.scopes_match = v['scopes-match'];
  if (v['client-id'] !== undefined) o.client_ids = v['client-id'];
  if (v.claim !== undefined) {
    o.claims_required = v.claim.map((c) => {
      const [claim, values] = split('claim', c, '=');
      return { claim, values: values.split(',').filter((x) => x !== '') };
    });
  }
  if (v.header !== undefined) {
    o.claims_to_headers = v.header.map((h) => {
      const [claim, header] = split('header', h, ':');
      return { claim, header };
    });
  }
  if (v.algorithm !== undefined) o.allowed_algorithms = v.algorithm;
  if (v.leeway !== undefined) o.leeway_seconds = int('leeway', v.leeway);
  if (v['max-token-age'] !== undefined) o.max_token_age_seconds = int('max-token-age', v['max-token-age']);
  if (v['allow-insecure-issuer']) o.allow_insecure_issuer = true;
  if (v.amr !== undefined || v.acr !== undefined || v['max-auth-age'] !== undefined) {
    o.authentication = {
      ...(v.amr !== undefined ? { amr_values: v.amr } : {}),
      ...(v.acr !== undefined ? { acr_values: v.acr } : {}),
      ...(v['max-auth-age'] !== undefined ? { max_age_seconds: int('max-auth-age', v['max-auth-age']) } : {}),
    };
  }
  for (const assignment of v.set ?? []) {
    const [field, value] = split('set', assignment, '=');
    setPath(o, field, jsonOrString(value));
  }
  const nodeOnly = v['admin-url'] !== undefined || v['kong-conf'] !== undefined;
  if (v.config === undefined && o.issuer === undefined && !nodeOnly) throw new UsageError('give --config FILE (with --route/--service), at least --issuer and --audience, or --admin-url / --kong-conf');
  if ((v['kong-conf'] === undefined) !== (v['kong-version'] === undefined)) throw new UsageError('--kong-conf and --kong-version go together');
  // Not echoed: the doctor's output ends up in terminals and CI logs.
  if (v['admin-url'] !== undefined && /^[^/?#]*\/\/[^/?#]*@/.test(v['admin-url'])) throw new UsageError("--admin-url must not hold credentials: give them with --admin-header (e.g. 'Authorization: Basic …' or 'Kong-Admin-Token: …')");
  if (v['admin-url'] !== undefined && !/^https?:\/\//.test(v['admin-url'])) throw new UsageError(`--admin-url needs an http(s) URL, got "${v['admin-url']}"`);
  const adminHeaders: Record<string, string> = {};
  for (const line of v['admin-header'] ?? []) {
    const [name, value] = split('admin-header', line, ':');
    adminHeaders[name.trim()] = value.trim();
  }

  let token: DoctorOptions['token'] = null;
  if (v.token === '-') token = { from: 'stdin', value: '' };
  else if (v.token !== undefined) token = { from: 'flag', value: v.token };
  else if (v['token-file'] !== undefined) token = { from: 'file', value: v['token-file'] };

  const requestHeaders: Record<string, string[]> = {};
  for (const line of v['request-header'] ?? []) {
    const [name, value] = split('request-header', line, ':');
    (requestHeaders[name.trim().toLowerCase()] ??= []).push(value.trim());
  }

  return {
    configFile: v.config ?? null,
    route: v.route ?? null,
    service: v.service ?? null,
    overrides: o,
    token,
    requestHeaders,
    method: v.method?.toUpperCase() ?? null,
    path: v.path ?? null,
    timeoutMs: int('timeout-ms', v['timeout-ms']) ?? 5000,
    json: v.json === true,
    adminUrl: v['admin-url'] ?? null,
    adminHeaders,
    kongConf: v['kong-conf'] ?? null,
    kongVersion: v['kong-version'] ?? null,
  };
}

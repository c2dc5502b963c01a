// `okta-jwt doctor`: explains why okta-jwt accepts or refuses a token, with the plugin's own code.
// The verdict is the plugin's decide() on the same config and token; the checks say why, each
// naming the config field responsible. The token goes nowhere: the only requests made are to the
// configured issuer's metadata and key set. See cli/args.ts for options and exit codes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { configFields } from '../plugin/config/schema';
import { ConfigError, configWithDefaults, normaliseConfig } from '../plugin/config/normalise';
import { startupProblems } from '../plugin/config/startup-checks';
import type { PluginConfig } from '../plugin/config/types';
import { decide } from '../plugin/core/decide';
import { headerValues, type HeaderMap } from '../plugin/vocabulary/request';
import { extractToken } from '../plugin/extract/token-sources';
import type { Decision } from '../plugin/vocabulary/decision';
import { keySetFor } from '../plugin/keys';
import { parseDoctorArgs, UsageError, USAGE, type DoctorOptions } from './args';
import { fail, info, pass, type Check } from './check';
import { probeIssuer, type IssuerTarget } from './issuer-probe';
import { revocationCoverageChecks, type JudgedConfig } from './revocation-coverage';
import { consumerScopedCount, everyPluginConfig, readConfigDocument, scopedPlugins, selectPluginConfig } from './kong-config';
import { guardFileChecks } from './guard-check';
import { kongNodeChecks, pluginServerChecks, readKongConfFile } from './kong-node';
import { parseKongVersion } from './kong-versions';
import { EXIT, renderText, type Report, type Verdict } from './report';
import { schemaViolations } from './schema-check';
import { tokenChecks } from './token-checks';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flags over file: records merge field by field, anything else is replaced. */
function merge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isRecord(v) && isRecord(out[k]) ? merge(out[k] as Raw, v) : v;
  return out;
}

/** A field's value, else its schema default (for probing an issuer when the config itself is refused). */
function valueOrDefault<T>(raw: Raw, name: string, nested?: string): T {
  const entry = configFields.find((f) => Object.keys(f)[0] === name)?.[name];
  if (nested === undefined) return (raw[name] ?? entry?.default) as T;
  const inner = (entry?.fields as Array<Record<string, Raw>> | undefined)?.find((f) => Object.keys(f)[0] === nested)?.[nested];
  return ((isRecord(raw[name]) ? (raw[name] as Raw)[nested] : undefined) ?? inner?.default) as T;
}

/** key_set.proxy_url when it is a string (the config checks report anything else). */
function configuredProxy(raw: Raw): string | null {
  const value = valueOrDefault<unknown>(raw, 'key_set', 'proxy_url');
  return typeof value === 'string' && value !== '' ? value : null;
}

function issuerTargets(raw: Raw): IssuerTarget[] {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const primary = str(raw.issuer);
  const targets: IssuerTarget[] = primary === null ? [] : [{ issuer: primary, jwksUri: str(raw.jwks_uri), where: '' }];
  const extra = Array.isArray(raw.additional_issuers) ? raw.additional_issuers : [];
  extra.forEach((e, i) => {
    if (isRecord(e) && str(e.issuer) !== null) targets.push({ issuer: str(e.issuer) as string, jwksUri: str(e.jwks_uri), where: `additional_issuers[${i + 1}].` });
  });
  return targets;
}

/** The config field a ConfigError is about: its own, else the one its message starts with. */
function fieldOf(error: ConfigError): string | null {
  if (error.field !== null) return error.field;
  const match = /^okta-jwt config: ([a-z_]+)(\[\d+\])?((?:\.[a-z_]+)*)/.exec(error.message);
  if (match === null || !configFields.some((f) => Object.keys(f)[0] === match[1])) return null;
  return match[1] + (match[2] ?? '') + match[3];
}

/**
 * Kong's schema checks, every rule Kong cannot check (each by field), then the plugin's own start-up
 * (normalise.ts, which checks everything again and stops at the first problem).
 */
function configChecks(raw: Raw): { checks: Check[]; config: PluginConfig | null } {
  const checks: Check[] = schemaViolations(raw).map((v) => fail('config.schema', `${v.field}: ${v.message} (Kong refuses this config with 400)`, v.field));
  const startup = startupProblems(configWithDefaults(raw));
  for (const p of startup) {
    checks.push(fail('config.startup', `${p.field} ${p.message} (Kong accepts this config, but the plugin refuses it when it first runs: 500 on every request)`, p.field));
  }
  try {
    const config = normaliseConfig(raw);
    checks.push(pass('config.plugin', 'the plugin accepts this config'));
    return { checks, config: checks.some((c) => c.status === 'fail') ? null : config };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const field = fieldOf(err);
    if (!startup.some((p) => p.field === field)) {
      checks.push(fail('config.plugin', `${err.message.replace(/^okta-jwt config: /, '')} (Kong refuses this config with 400; see docs/configuration.md for kong-pdk's stock plugin server)`, field));
    }
    return { checks, config: null };
  }
}

async function readToken(option: NonNullable<DoctorOptions['token']>): Promise<string> {
  let text: string;
  if (option.from === 'flag') text = option.value;
  else if (option.from === 'file') {
    try {
      text = fs.readFileSync(option.value, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${option.value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  // A pasted "Bearer eyJ…" or a trailing newline is what people have; the plugin sees the bare token.
  const token = text.trim().replace(/^bearer\s+/i, '');
  if (token === '') throw new UsageError('the token is empty');
  return token;
}

function verdictOf(decision: Decision): Verdict {
  switch (decision.kind) {
    case 'deny':
      return {
        kind: 'deny',
        status: decision.status,
        reason: decision.reason,
        wwwAuthenticate: decision.headers['WWW-Authenticate'] ?? null,
        retryAfter: decision.headers['Retry-After'] ?? null,
        detail: `refused: ${decision.status} ${decision.reason} — ${decision.body.message}`,
      };
    case 'observe':
      return { kind: 'observe', reason: decision.wouldDeny.reason, detail: `dry_run: would refuse with ${decision.wouldDeny.status} ${decision.wouldDeny.reason}, lets the request through` };
    case 'pass':
      return { kind: 'allow', detail: 'not judged (CORS preflight or already authenticated)' };
    case 'allow':
      if (decision.consumer?.anonymous) return { kind: 'anonymous', reason: 'token refused', detail: `the token is refused; the request proceeds as the anonymous consumer "${decision.consumer.value}"` };
      return { kind: 'allow', detail: `allowed${Object.keys(decision.setHeaders).length ? `; upstream headers ${Object.keys(decision.setHeaders).join(', ')}` : ''}` };
  }
}

/** The request the plugin would see: the client's header lines, plus "Bearer <token>" in token_header. */
function requestHeaders(options: DoctorOptions, config: PluginConfig, token: string | null): HeaderMap {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(options.requestHeaders)) headers[name] = [...values];
  if (token !== null) headers[config.tokenHeader] = [...(headers[config.tokenHeader] ?? []), `Bearer ${token}`];
  return headers;
}

/** The plugin's token extraction, explained without echoing credentials (only the scheme is shown). */
function extractionCheck(headers: HeaderMap, config: PluginConfig): { check: Check; token: string | null } {
  const extraction = extractToken(headers, config.tokenHeader, config.tokenSources, null);
  if (extraction.kind === 'token') return { check: pass('request.token', `one Bearer token in ${config.tokenHeader}`, 'token_header'), token: extraction.token };
  if (extraction.kind === 'invalid_request') {
    return { check: fail('request.token', `${extraction.description}: send exactly one "Bearer <token>" credential`, 'token_header', 'request_invalid'), token: null };
  }
  const sent = headerValues(headers, config.tokenHeader).map((v) => (v === true ? '(empty)' : `"${v.trim().split(/\s+/)[0]}"`));
  const seen = sent.length === 0 ? `no ${config.tokenHeader} header` : `${config.tokenHeader} with scheme ${sent.join(', ')} (not Bearer)`;
  const elsewhere = Object.keys(headers).filter((n) => n !== config.tokenHeader && /authorization|token/i.test(n));
  return {
    check: fail('request.token', `${seen}${elsewhere.length ? `; a credential may be in ${elsewhere.join(', ')} instead` : ''}: the client must send "Bearer <access token>" in ${config.tokenHeader}`, 'token_header', 'token_missing'),
    token: null,
  };
}

/** The failing check that accounts for the verdict: the first one producing the same reason code. */
function explainingCheck(checks: Check[], verdict: Verdict): Check | undefined {
  const failed = checks.filter((c) => c.status === 'fail');
  switch (verdict.kind) {
    case 'deny':
    case 'observe':
      return failed.find((c) => c.reason === verdict.reason);
    case 'anonymous':
      return failed.find((c) => c.reason !== undefined);
    case 'config_refused':
      return failed[0];
    default:
      return undefined;
  }
}

interface NodeResult {
  checks: Check[];
  unreachable: boolean;
  source: string[];
  /** The live node's services, routes and plugins (--admin-url), as a declarative document. */
  document: Raw | null;
}

/** --admin-url and --kong-conf: the Kong node's settings for its version, and the guard on its routes. */
async function nodeChecks(options: DoctorOptions): Promise<NodeResult> {
  const checks: Check[] = [];
  const source: string[] = [];
  let unreachable = false;
  let document: Raw | null = null;
  if (options.kongConf !== null && options.kongVersion !== null) {
    const version = parseKongVersion(options.kongVersion);
    if (version === null) throw new UsageError(`--kong-version needs a version such as 3.4.2, got "${options.kongVersion}"`);
    checks.push(...pluginServerChecks(version, readKongConfFile(options.kongConf)));
    source.push(`${options.kongConf} for Kong ${version.text}`);
  }
  if (options.adminUrl !== null) {
    const live = await kongNodeChecks({ adminUrl: options.adminUrl, headers: options.adminHeaders, timeoutMs: options.timeoutMs });
    checks.push(...live.checks);
    unreachable = live.unreachable;
    document = live.document;
    source.push(`Admin API ${options.adminUrl}`);
  }
  return { checks, unreachable, source, document };
}

type Probes = Map<string, Promise<{ checks: Check[]; unreachable: boolean }>>;

/** Probes every issuer of a raw config; the same issuer with the same settings is asked once per run (a node may hold hundreds of configs). */
async function issuerChecks(raw: Raw, options: DoctorOptions, probes: Probes): Promise<{ checks: Check[]; unreachable: boolean }> {
  const checks: Check[] = [];
  let unreachable = false;
  for (const target of issuerTargets(raw)) {
    const settings = {
      leewaySeconds: valueOrDefault<number>(raw, 'leeway_seconds'),
      allowedAlgorithms: valueOrDefault<string[]>(raw, 'allowed_algorithms'),
      maxBodyBytes: valueOrDefault<number>(raw, 'key_set', 'max_body_bytes'),
      timeoutMs: options.timeoutMs,
      proxyUrl: configuredProxy(raw),
    };
    const key = JSON.stringify([target, settings]);
    if (!probes.has(key)) probes.set(key, probeIssuer(target, settings));
    const probe = await probes.get(key)!;
    checks.push(...probe.checks);
    unreachable ||= probe.unreachable;
  }
  return { checks, unreachable };
}

/**
 * 1 when something is wrong that the operator must fix: the token is refused for a reason of its
 * own (expired, audience, scope…), the config or the Kong node has a problem; this holds even when
 * the issuer is unreachable too, since that finding is the more specific one. 3 when the only
 * problem is reachability (issuer discovery or keys, or the Admin API): the token is then refused
 * with 503 keys_unavailable, as the plugin would. 0 when every check passed.
 */
function exitCodeOf(checks: Check[], verdict: Verdict, unreachable: boolean, configRefused: boolean): number {
  const reachability = (c: Check) => c.reason === 'keys_unavailable' || c.id === 'kong.admin';
  const ownFinding = configRefused
    || checks.some((c) => c.status === 'fail' && !reachability(c))
    || ((verdict.kind === 'deny' || verdict.kind === 'observe') && verdict.reason !== 'keys_unavailable');
  if (ownFinding) return EXIT.refused;
  if (unreachable) return EXIT.unreachable;
  return checks.some((c) => c.status === 'fail') || !['allow', 'no_token', 'kong_node'].includes(verdict.kind) ? EXIT.refused : EXIT.ok;
}

/** The guard beside every okta-jwt of a file or a live node, judged over all of its plugins. */
function guardChecksOf(document: unknown): Check[] {
  if (document === null || document === undefined) return [];
  const { plugins, names } = scopedPlugins(document);
  return guardFileChecks(plugins, names);
}

const labelled = (where: string) => (c: Check): Check => ({ ...c, detail: `${where}: ${c.detail}` });

/** --admin-url without --route/--service: every okta-jwt config on the node, each through the file checks. */
async function everyLiveConfig(options: DoctorOptions, node: NodeResult, document: Raw): Promise<Report> {
  const checks = [...node.checks, ...guardChecksOf(document)];
  const scoped = consumerScopedCount(document);
  if (scoped > 0) checks.push(info('config.plugin', `${scoped} consumer-scoped okta-jwt plugin(s) not examined: Kong applies them only to requests of that consumer`));
  const selected = everyPluginConfig(document);
  if (selected.length === 0) checks.push(info('config.plugin', 'no okta-jwt plugin on this node'));
  const probes: Probes = new Map();
  let unreachable = node.unreachable;
  let refused = false;
  const accepted: JudgedConfig[] = [];
  for (const { config, where } of selected) {
    const raw = merge(config, options.overrides);
    const judged = configChecks(raw);
    const issuer = await issuerChecks(raw, options, probes);
    checks.push(...[...judged.checks, ...issuer.checks].map(labelled(where)));
    unreachable ||= issuer.unreachable;
    refused ||= judged.config === null;
    if (judged.config !== null) accepted.push({ config: judged.config, where });
  }
  checks.push(...revocationCoverageChecks(accepted));
  const verdict: Verdict = {
    kind: 'kong_node',
    detail: checks.some((c) => c.status === 'fail')
      ? `this Kong node has a problem (FAIL above); ${selected.length} okta-jwt config(s) checked`
      : `this Kong node runs okta-jwt as its version needs, with the guard on every okta-jwt route; its ${selected.length} okta-jwt config(s) pass`,
  };
  return { source: node.source.join(' and '), tokenSha256: null, checks, verdict, explainedBy: null, exitCode: exitCodeOf(checks, verdict, unreachable, refused) };
}

export async function runDoctor(options: DoctorOptions): Promise<Report> {
  const node = await nodeChecks(options);
  const live = options.configFile === null ? node.document : null;
  const judgeRequest = options.token !== null || Object.keys(options.requestHeaders).length > 0;
  if (live !== null && options.route === null && options.service === null && options.overrides.issuer === undefined) {
    if (judgeRequest) throw new UsageError('name the --route or --service whose okta-jwt config judges the token');
    return everyLiveConfig(options, node, live);
  }
  if (options.configFile === null && live === null && options.overrides.issuer === undefined) {
    const verdict: Verdict = { kind: 'kong_node', detail: node.checks.some((c) => c.status === 'fail') ? 'this Kong node has a problem (FAIL above)' : 'this Kong node runs okta-jwt as its version needs, with the guard on every okta-jwt route' };
    return { source: node.source.join(' and '), tokenSha256: null, checks: node.checks, verdict, explainedBy: null, exitCode: exitCodeOf(node.checks, verdict, node.unreachable, false) };
  }
  const file = options.configFile === null ? null : await readConfigDocument(options.configFile);
  const selected = file !== null
    ? selectPluginConfig(file, options.route, options.service)
    : live !== null && (options.route !== null || options.service !== null) ? selectPluginConfig(live, options.route, options.service) : null;
  const raw = merge(selected?.config ?? {}, options.overrides);
  const origin = options.configFile ?? options.adminUrl;
  const source = selected === null ? 'flags' : `${selected.where} ${options.configFile !== null ? 'in' : 'on'} ${origin}${Object.keys(options.overrides).length ? ' (with flag overrides)' : ''}`;
  const givenToken = options.token === null ? null : await readToken(options.token);

  const { checks, config } = configChecks(raw);
  checks.push(...guardChecksOf(file ?? live));
  checks.push(...node.checks);
  const issuer = await issuerChecks(raw, options, new Map());
  checks.push(...issuer.checks);
  const unreachable = node.unreachable || issuer.unreachable;

  let verdict: Verdict;
  let token: string | null = givenToken;
  if (config === null) {
    const refused = checks.find((c) => c.status === 'fail' && c.id.startsWith('config.'));
    verdict = { kind: 'config_refused', detail: `the config is refused (${refused?.field ?? 'see above'}): Kong answers 400, or the plugin instance fails to start (500 on every request)` };
  } else if (!judgeRequest) {
    verdict = { kind: 'no_token', detail: 'no token given: config and issuer checked (give --token to explain a token)' };
  } else {
    const headers = requestHeaders(options, config, givenToken);
    const extraction = extractionCheck(headers, config);
    checks.push(extraction.check);
    token = extraction.token;
    // Key-set warnings belong to the checks above; the doctor does not log.
    const keySets = new Map(config.issuers.map((i) => [i.issuer, keySetFor(i.keys, { warn: () => undefined })] as const));
    verdict = verdictOf(await decide({ headers, method: options.method, path: options.path, rawQuery: null, alreadyAuthenticated: false }, config, keySets));
    if (token !== null) checks.push(...(await tokenChecks(token, config, keySets, options.method, options.path)));
  }
  const tokenSha256 = token === null ? null : createHash('sha256').update(token).digest('hex').slice(0, 16);

  const explaining = explainingCheck(checks, verdict);
  return {
    source,
    tokenSha256,
    checks,
    verdict,
    explainedBy: explaining === undefined ? null : { check: explaining.id, field: explaining.field },
    // A refused config is the operator's to fix whatever the issuer does: a CI gate on 1 must see it.
    exitCode: exitCodeOf(checks, verdict, unreachable, config === null),
  };
}

export async function main(argv: string[]): Promise<number> {
  let options: DoctorOptions;
  try {
    options = parseDoctorArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message ? `okta-jwt doctor: ${err.message}\n\n` : ''}${USAGE}\n`);
    return err.message ? EXIT.usage : EXIT.ok;
  }
  let report: Report;
  try {
    report = await runDoctor(options);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`okta-jwt doctor: ${err.message}\n`);
    return EXIT.usage;
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
  return report.exitCode;
}

/** okta-jwt's version: package.json, three folders above dist/cli/cli/ in the repo and in the installed package. */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

const TOP_USAGE = `Usage: okta-jwt doctor [options]   explains why okta-jwt accepts or refuses a token, and checks a Kong node
       okta-jwt --version              prints okta-jwt's version
(okta-jwt doctor --help for the doctor's options and exit codes)`;

/** The bin entry: `okta-jwt doctor …`, `okta-jwt --version`, `okta-jwt --help`. */
export function cli(argv: string[]): void {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || (command === 'doctor' && rest.includes('--version'))) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (command !== 'doctor') {
    const help = command === '--help' || command === '-h';
    (help ? process.stdout : process.stderr).write(`${TOP_USAGE}\n`);
    process.exitCode = help ? EXIT.ok : EXIT.usage;
    return;
  }
  main(rest).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`okta-jwt doctor: unexpected error: ${err.message}\n`);
      process.exitCode = EXIT.usage;
    },
  );
}

if (require.main === module) cli(process.argv.slice(2));

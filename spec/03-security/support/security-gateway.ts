// The security suite's gateway: the Kong double with the real plugin server (spec/support/gateway.ts),
// okta-jwt on /echo trusting the dev issuer and a raw issuer whose key the tests hold, and a trap
// server that counts any outbound request the plugin should never make (jku, x5u, a token's iss).
//
// Every refusal is checked against the catalogue's implicit assertions (security-catalog.md §0):
//   1. the upstream received nothing for it;
//   2. the plugin server is the same process and still answers a valid token (end of each case);
//   3. the response carries no token material, key material or stack trace, and neither does the
//      error log or the plugin server's output (end of each case, for every secret the case used);
//   4. nothing but the configured issuers' endpoints was contacted (the trap saw nothing).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../support/gateway';
import { send, type HttpResponse } from '../../support/http-client';
import { kongYml, oktaJwtConfig } from '../../support/kong-config';
import { expectChallenge, expectDpopChallenge } from '../../02-integration/okta-jwt/assertions';
import { useConfig } from '../../support/apply-config';
import { AUDIENCE, startRawIssuer, type RawIssuer } from './raw-issuer';
import type { KongDouble } from '../../kong-double';

/** The PDK methods the plugin server called since the last rpcLog reset. */
export function pdkMethods(double: KongDouble): string[] {
  return double.rpcLog.frames
    .filter((f) => f.dir === 'ps->kong')
    .map((f) => (f.frame[3] as { Data?: { Method?: string } } | undefined)?.Data?.Method)
    .filter((m): m is string => typeof m === 'string');
}

/** Expected outcomes in the catalogue's shorthand (§0); 401p / 401d: DPoP challenges with invalid_dpop_proof / invalid_token. */
export type Expected = '401n' | '401i' | '400r' | '403s' | '401p' | '401d' | 500 | 503;

export interface Trap {
  url: string;
  hits(): number;
  close(): Promise<void>;
}

/** A listener that records every request: the plugin must never contact it. */
export async function startTrap(): Promise<Trap> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SecurityGatewayOptions {
  /** Extra okta-jwt config fields (override the suite defaults). */
  plugin?: Record<string, unknown>;
  guard?: boolean;
  consumers?: Array<Record<string, unknown>>;
  /** Where the gateway comes from (default startGateway()). */
  gateway?: () => Promise<Gateway>;
}

/** Stack frames as Node prints them, PEM armour, JWK private members. */
const INTERNALS = /\n\s+at .+:\d+:\d+|-----BEGIN|"d"\s*:\s*"|"p"\s*:\s*"|"q"\s*:\s*"/;

export class SecurityGateway {
  private secrets = new Set<string>();
  private logMark = 0;
  private outputMark = 0;
  private pid: number | undefined;

  private constructor(readonly gw: Gateway, readonly raw: RawIssuer, readonly trap: Trap) {}

  static async start(options: SecurityGatewayOptions = {}): Promise<SecurityGateway> {
    const gw = await (options.gateway ?? startGateway)();
    const [raw, trap] = await Promise.all([startRawIssuer(), startTrap()]);
    const sec = new SecurityGateway(gw, raw, trap);
    try {
      await sec.configure(options);
    } catch (err) {
      await sec.close();
      throw err;
    }
    return sec;
  }

  /** The suite's okta-jwt config: the dev issuer plus the raw issuer, scope orders:read, four mapped headers. */
  pluginConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return oktaJwtConfig(this.gw, {
      additional_issuers: [{ issuer: this.raw.issuer, jwks_uri: this.raw.jwksUri, audiences: [AUDIENCE] }],
      ...extra,
    });
  }

  /** Loads kong.yml with okta-jwt on /echo (and the guard beside it when asked). */
  async configure(options: SecurityGatewayOptions = {}): Promise<void> {
    const plugin = this.pluginConfig(options.plugin);
    await useConfig(this.gw, kongYml(this.gw, { plugin, guard: options.guard, consumers: options.consumers }));
    this.pid = this.server().pid;
  }

  get proxy(): string {
    return this.gw.proxyUrl;
  }

  server() {
    const server = this.gw.double?.pluginServers.get('okta-jwt');
    if (server === undefined) throw new Error('the security suite needs the Kong double');
    return server;
  }

  /** A valid token of the dev issuer (scope orders:read; `claims` override or add members). */
  valid(claims: Record<string, unknown> = {}): Promise<string> {
    return this.gw.mint({ scp: ['orders:read'], ...claims });
  }

  /** Remembers strings that must never show up in responses or logs (tokens, their segments). */
  secret(...values: string[]): void {
    for (const value of values) {
      for (const part of [value, ...value.split('.')]) if (part.length >= 16) this.secrets.add(part);
    }
  }

  /** Sends GET /echo/… with exactly these header lines (token-bearing values are remembered as secrets). */
  request(headers: Array<[string, string]>, path = '/echo/case', method = 'GET'): Promise<HttpResponse> {
    for (const [name, value] of headers) if (/authorization|cookie|^dpop$/i.test(name)) this.secret(value.replace(/^\S+\s+/, ''));
    return send(method, this.proxy + path, headers);
  }

  /** Sends the request and checks the outcome with implicit assertions 1, 3 and 4. */
  async refuses(expected: Expected, headers: Array<[string, string]>, path?: string, method?: string): Promise<HttpResponse> {
    await this.gw.resetUpstream();
    const res = await this.request(headers, path, method);
    await this.expectRefused(res, expected);
    return res;
  }

  async bearerRefused(expected: Expected, token: string, path?: string): Promise<HttpResponse> {
    return this.refuses(expected, [['Authorization', `Bearer ${token}`]], path);
  }

  /**
   * A token too large for one header line: refused by the HTTP front before any plugin runs (nginx
   * answers 400 "Request header or cookie too large" past large_client_header_buffers, 8 KiB a line
   * or 32 KiB in all; the double does the same, and past 256 KiB its HTTP parser answers 431), or by okta-jwt's
   * max_token_bytes (401 invalid_token). Never proxied.
   */
  async oversizedRefused(token: string): Promise<'front' | 'plugin'> {
    await this.gw.resetUpstream();
    const res = await this.request([['Authorization', `Bearer ${token}`]]).catch(() => null);
    if (res === null || (res.status === 400 && /too large/i.test(res.text)) || res.status === 431 || res.status === 494) {
      expect(await this.gw.upstreamRequests()).to.have.length(0);
      if (res !== null) this.expectNoLeak(res.text, 'response');
      return 'front';
    }
    await this.expectRefused(res, '401i');
    return 'plugin';
  }

  async expectRefused(res: HttpResponse, expected: Expected): Promise<void> {
    switch (expected) {
      case '401n':
        expectChallenge(res, 401, null);
        break;
      case '401i':
        expectChallenge(res, 401, 'invalid_token');
        break;
      case '400r':
        expectChallenge(res, 400, 'invalid_request');
        break;
      case '403s':
        expectChallenge(res, 403, 'insufficient_scope');
        break;
      case '401p':
        expectDpopChallenge(res, 'invalid_dpop_proof');
        break;
      case '401d':
        expectDpopChallenge(res, 'invalid_token');
        break;
      default:
        expect(res.status, res.text).to.equal(expected);
        expect(res.headers['www-authenticate']).to.equal(undefined);
        if (expected === 503) expect(res.headers['retry-after']).to.match(/^\d+$/);
    }
    expect(await this.gw.upstreamRequests(), 'a refused request reached the upstream').to.have.length(0);
    this.expectNoLeak(`${res.text}\n${res.rawHeaders.join('\n')}`, 'response');
    expect(this.trap.hits(), 'the plugin contacted a URL it should never fetch').to.equal(0);
  }

  /** Sends a valid-token request and checks that it was proxied (200). */
  async accepts(headers: Array<[string, string]>, path = '/echo/case'): Promise<{ headers: Record<string, string> }> {
    await this.gw.resetUpstream();
    const res = await this.request(headers, path);
    expect(res.status, res.text).to.equal(200);
    expect(await this.gw.upstreamRequests()).to.have.length(1);
    return res.json<{ headers: Record<string, string> }>();
  }

  expectNoLeak(text: string, where: string): void {
    for (const secret of this.secrets) expect(text.includes(secret), `${where} contains token material`).to.equal(false);
    expect(INTERNALS.test(text), `${where} contains a stack trace or key material: ${text.match(INTERNALS)?.[0]}`).to.equal(false);
  }

  /**
   * The gateway and its plugin server are shared with other spec files, some of which cause internal
   * errors on purpose. Flushes the warnings the plugin queued before now (a request whose line cannot
   * hold a token logs them), then returns the error log written from then on.
   */
  async errorLogFromNow(): Promise<() => string> {
    await send('GET', `${this.proxy}/echo/flush`, [['Authorization', `Bearer ${await this.valid()}`]]);
    const mark = this.gw.double!.errorLog.lines.length;
    return () => this.gw.double!.errorLog.lines.slice(mark).map((l) => l.message).join('\n');
  }

  /** Starts a case: forget earlier secrets, mark the logs. */
  begin(): void {
    this.secrets.clear();
    this.logMark = this.gw.double?.errorLog.lines.length ?? 0;
    this.outputMark = this.server().output.length;
  }

  /** After a plugin-server kill: waits (up to 15 s) until a valid token is served again. */
  async waitUntilServing(): Promise<void> {
    const token = await this.valid();
    for (let attempt = 0; attempt < 75; attempt++) {
      const res = await send('GET', `${this.proxy}/echo/alive`, [['Authorization', `Bearer ${token}`]]).catch(() => null);
      if (res?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the plugin server did not come back');
  }

  /** Ends a case: implicit assertions 2 and 3 (the logs), then the upstream is reset for the next one. */
  async end(options: { restarted?: boolean } = {}): Promise<void> {
    const double = this.gw.double!;
    const log = double.errorLog.lines.slice(this.logMark).map((l) => l.message).join('\n');
    this.expectNoLeak(log, 'the error log');
    this.expectNoLeak(this.server().output.slice(this.outputMark).join('\n'), 'the plugin server output');
    if (options.restarted) await this.waitUntilServing();
    else expect(this.server().pid, 'the plugin server was restarted').to.equal(this.pid);
    this.pid = this.server().pid;
    const token = await this.valid();
    const res = await send('GET', `${this.proxy}/echo/alive`, [['Authorization', `Bearer ${token}`]]);
    expect(res.status, `the plugin server no longer answers: ${res.text}`).to.equal(200);
    await this.gw.resetUpstream();
  }

  async close(): Promise<void> {
    await this.gw?.close();
    await Promise.all([this.raw?.close(), this.trap?.close()]);
  }
}

/**
 * Registers mocha hooks for one spec file: one gateway for the file, and a `test` that wraps each
 * case in begin()/end() so the implicit assertions run for every case.
 */
export function securitySuite(options: SecurityGatewayOptions = {}) {
  const holder: { sec?: SecurityGateway } = {};
  before(async function () {
    this.timeout(60000);
    holder.sec = await SecurityGateway.start(options);
  });
  after(async () => holder.sec?.close());
  const get = (): SecurityGateway => holder.sec as SecurityGateway;
  type Body = (sec: SecurityGateway) => Promise<void>;
  const wrap = (body: Body, endOptions: { restarted?: boolean }) => async () => {
    const sec = get();
    sec.begin();
    await body(sec);
    await sec.end(endOptions);
  };
  const test = (name: string, body: Body, endOptions: { restarted?: boolean } = {}) => it(name, wrap(body, endOptions));
  return { get, test };
}

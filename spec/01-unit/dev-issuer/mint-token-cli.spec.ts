import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { accessTokenHash } from '../../../dev/dpop-proof';
import { DEFAULT_ISSUER_URL, parseMintTokenArgs, UsageError } from '../../../dev/mint-token';
import { get, useDevIssuer } from './helpers';

const DEV_DIR = path.resolve(__dirname, '../../../dev');

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(DEV_DIR, 'mint-token.js'), ...args], { env: { ...process.env, ...env }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('mint-token CLI: argument parsing', () => {
  it('collects repeated and space-separated --scope values into scp', () => {
    const { request } = parseMintTokenArgs(['--scope', 'orders:read orders:write', '--scope', 'admin']);
    expect(request.claims!.scp).to.deep.equal(['orders:read', 'orders:write', 'admin']);
  });

  it('reads --claim values as JSON when they parse, else as strings', () => {
    const { request } = parseMintTokenArgs(['--claim', 'n=5', '--claim', 'groups=["a","b"]', '--claim', 'cid=0oa9', '--claim', 'zip=01234', '--claim', 'eq=a=b']);
    expect(request.claims).to.deep.equal({ n: 5, groups: ['a', 'b'], cid: '0oa9', zip: '01234', eq: 'a=b' });
  });

  it('maps --sub, --aud and --exp, and takes the issuer URL from the flag, the environment or the default', () => {
    const parsed = parseMintTokenArgs(['--sub', 'alice', '--aud', 'api://orders', '--exp', '60', '--issuer-url', 'http://h:1/oauth2/x/'], {});
    expect(parsed).to.deep.equal({ issuerUrl: 'http://h:1/oauth2/x', request: { claims: { sub: 'alice', aud: 'api://orders' }, options: { expiresInSeconds: 60 } } });
    expect(parseMintTokenArgs([], { OKTA_JWT_DEV_ISSUER: 'http://e:2/oauth2/default' }).issuerUrl).to.equal('http://e:2/oauth2/default');
    expect(parseMintTokenArgs([], {}).issuerUrl).to.equal(DEFAULT_ISSUER_URL);
  });

  it('without --issuer-url or OKTA_JWT_DEV_ISSUER, targets the port npm start takes from ISSUER_PORT', () => {
    expect(parseMintTokenArgs([], { ISSUER_PORT: '39000' }).issuerUrl).to.equal('http://127.0.0.1:39000/oauth2/default');
    expect(parseMintTokenArgs([], { ISSUER_PORT: '39000', OKTA_JWT_DEV_ISSUER: 'http://e:2/oauth2/x' }).issuerUrl).to.equal('http://e:2/oauth2/x');
    expect(() => parseMintTokenArgs([], { ISSUER_PORT: '9000x' })).to.throw(UsageError, 'ISSUER_PORT must be a port number');
  });

  it('takes --dpop with --htm and --htu, and refuses either half alone', () => {
    expect(parseMintTokenArgs(['--dpop', '--htm', 'GET', '--htu', 'http://127.0.0.1:8000/echo/x']).dpop).to.deep.equal({ htm: 'GET', htu: 'http://127.0.0.1:8000/echo/x' });
    expect(parseMintTokenArgs([]).dpop).to.equal(undefined);
    expect(() => parseMintTokenArgs(['--dpop', '--htm', 'GET'])).to.throw(UsageError, /--dpop needs/);
    expect(() => parseMintTokenArgs(['--htm', 'GET', '--htu', 'http://x/'])).to.throw(UsageError, /need --dpop/);
    expect(() => parseMintTokenArgs(['--dpop', '--htm', 'get', '--htu', 'http://x/'])).to.throw(UsageError, /upper-case/);
    expect(() => parseMintTokenArgs(['--dpop', '--htm', 'GET', '--htu', 'ftp://x/'])).to.throw(UsageError, /http\(s\) URL/);
  });

  it('refuses unknown flags, a claim without =, and a non-integer --exp', () => {
    expect(() => parseMintTokenArgs(['--nope'])).to.throw(UsageError);
    expect(() => parseMintTokenArgs(['--claim', 'novalue'])).to.throw(UsageError);
    expect(() => parseMintTokenArgs(['--exp', '1h'])).to.throw(UsageError);
  });
});

describe('mint-token CLI: against a running issuer', () => {
  const dev = useDevIssuer();

  it('prints a token minted by the issuer with the requested claims', async () => {
    const { code, stdout, stderr } = await runCli(['--issuer-url', dev().issuer, '--scope', 'orders:read', '--sub', 'alice', '--exp', '90', '--claim', 'groups=["admins"]']);
    expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
    expect(stdout.endsWith('\n')).to.equal(true);
    const { payload } = await jwtVerify(stdout.trim(), createRemoteJWKSet(new URL(dev().jwksUri)), { issuer: dev().issuer, audience: 'api://default' });
    expect(payload).to.include({ sub: 'alice' });
    expect(payload.scp).to.deep.equal(['orders:read']);
    expect(payload.groups).to.deep.equal(['admins']);
    expect(payload.exp! - payload.iat!).to.equal(90);
  });

  it('--exp -60 (as a separate argument) prints a token that expired a minute ago', async () => {
    const { code, stdout, stderr } = await runCli(['--issuer-url', dev().issuer, '--exp', '-60', '--scope', 'orders:read']);
    expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
    const payload = decodeJwt(stdout.trim());
    expect(payload.exp! - payload.iat!).to.equal(-60);
    expect(payload.exp!).to.be.below(Date.now() / 1000);
  });

  it('--dpop prints a token bound to the key of a proof for that method, URI and token', async () => {
    const htu = 'http://127.0.0.1:8000/echo/hello';
    const { code, stdout, stderr } = await runCli(['--issuer-url', dev().issuer, '--scope', 'orders:read', '--dpop', '--htm', 'GET', '--htu', htu]);
    expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf('=') + 1))).to.deep.equal(['TOKEN=', 'DPOP_PROOF=']);
    const [token, proof] = lines.map((l) => l.slice(l.indexOf('=') + 1));
    const claims = decodeJwt(token!);
    const header = decodeProtectedHeader(proof!);
    expect(header.typ).to.equal('dpop+jwt');
    expect(claims.cnf).to.deep.equal({ jkt: await calculateJwkThumbprint(header.jwk!, 'sha256') });
    const verified = await jwtVerify(proof!, await importJWK(header.jwk!, header.alg));
    expect(verified.payload).to.include({ htm: 'GET', htu, ath: accessTokenHash(token!) });
  });

  it('exits 1 with a clear message when no issuer is running', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/oauth2/default`;
    const { code, stdout, stderr } = await runCli(['--issuer-url', url]);
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr).to.contain(`no dev issuer answering at ${url} (ECONNREFUSED)`);
  });

  it('exits 1 naming the status when the URL is not a dev issuer', async () => {
    const { code, stderr } = await runCli(['--issuer-url', dev().localBaseUrl]);
    expect(code).to.equal(1);
    expect(stderr).to.contain('answered 404');
  });

  it('prints the usage to stdout and exits 0 on --help and -h', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await runCli([flag]);
      expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
      expect(stdout).to.match(/^usage: npm run token -- /);
    }
  });

  it('exits 2 with the usage on bad arguments', async () => {
    const { code, stderr } = await runCli(['--bogus']);
    expect(code).to.equal(2);
    expect(stderr).to.contain('usage: npm run token');
  });
});

describe('dev issuer as a script (docker-compose)', () => {
  it('listens on PORT, names PUBLIC_BASE_URL as issuer, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(DEV_DIR, 'issuer.js')], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PUBLIC_BASE_URL: 'http://issuer:9000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const deadline = Date.now() + 10_000;
      while (!/listening on (\S+);/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).to.contain('http://issuer:9000/oauth2/default');
      const local = /listening on (\S+);/.exec(out)![1]!;
      const doc = (await get(`${local}/oauth2/default/.well-known/openid-configuration`)).json() as { issuer: string };
      expect(doc.issuer).to.equal('http://issuer:9000/oauth2/default');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

// Catalogue group I: timing, side channels and logging (cases 105–107).
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { securitySuite } from '../support/security-gateway';
import { repoRoot } from '../../support/repo-paths';
import { join, parts } from '../support/tokens';

/** Every .ts file under plugin/, as text. */
function pluginSources(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) out.push([path.relative(repoRoot(), full), fs.readFileSync(full, 'utf8')]);
    }
  };
  walk(path.join(repoRoot(), 'plugin'));
  return out;
}

describe('security catalogue I: timing, side channels and logging', function () {
  const { test } = securitySuite();

  test('#105 uniform failures: bad signature, unknown kid, expired and wrong audience give the same status, challenge error and body shape', async (sec) => {
    const valid = await sec.valid();
    const tokens = [
      join({ ...parts(valid), signature: parts(await sec.valid({ sub: 'x' })).signature }),
      sec.raw.sign(sec.raw.claims(), { alg: 'RS256', kid: 'unknown-kid' }),
      await sec.gw.mint({ scp: ['orders:read'] }, { issuedAt: Math.floor(Date.now() / 1000) - 7200 }),
      await sec.gw.mint({ scp: ['orders:read'], aud: 'api://other' }),
    ];
    const shapes = new Set<string>();
    for (const token of tokens) {
      const res = await sec.bearerRefused('401i', token);
      shapes.add(JSON.stringify([res.status, Object.keys(res.json()), String(res.headers['www-authenticate']).replace(/error_description="[^"]*"/, '')]));
    }
    expect(shapes.size, [...shapes].join('\n')).to.equal(1);
    // Descriptions differ by failure class (expired, wrong audience, invalid signature): fixed texts the
    // RFC allows, and the same text for every signature / key / algorithm failure.
  });

  it('#106 no secret is ever compared in variable time: the only HMAC is the DPoP server nonce, checked with timingSafeEqual, the SSF stream\'s Authorization value is compared as SHA-256 digests with timingSafeEqual, and tokens are cached by SHA-256 (source check)', () => {
    const nonceFile = path.join('plugin', 'dpop', 'nonce.ts');
    const receiverFile = path.join('plugin', 'ssf', 'receiver.ts');
    for (const [file, source] of pluginSources()) {
      if (file === nonceFile || file === receiverFile) continue;
      expect(/createHmac|timingSafeEqual|HS256/.test(source), file).to.equal(false);
      // Secrets okta-jwt holds (the introspection client secret, the Redis password) are sent, never compared.
      const withoutEmptinessChecks = source.replace(/[!=]==\s*(null|undefined|''|"")|(null|undefined|''|"")\s*[!=]==/g, '');
      expect(/(secret|password)\w*\s*[!=]==|[!=]==\s*[\w.]*(secret|password)/i.test(withoutEmptinessChecks), file).to.equal(false);
    }
    const nonce = fs.readFileSync(path.join(repoRoot(), nonceFile), 'utf8');
    expect(nonce).to.match(/timingSafeEqual\(given, expected\)/);
    expect(nonce).to.not.match(/===\s*expected(?!\.length)|given\s*===|\.equals\(/);
    const receiver = fs.readFileSync(path.join(repoRoot(), receiverFile), 'utf8');
    expect(receiver).to.match(/timingSafeEqual\(digest\(values\[0\]\), digest\(expected\)\)/);
    expect(receiver).to.not.match(/===\s*(expected|receiver\.authorization)|authorization\s*===/);
    const cache = fs.readFileSync(path.join(repoRoot(), 'plugin', 'cache', 'verified-tokens.ts'), 'utf8');
    expect(cache).to.match(/\bhash\('sha256'/);
  });

  test('#107 logs carry the failure class only: never the token, never a query string holding one', async (sec) => {
    await sec.configure({ plugin: { refusal_log_level: 'warn' } });
    try {
      const token = await sec.valid({ aud: 'api://other' });
      await sec.bearerRefused('401i', token);
      sec.secret(token);
      await sec.refuses('401n', [], `/echo/case?access_token=${token}`);
      await sec.gw.double!.logsSettled();
      const log = sec.gw.double!.errorLog.text();
      expect(log).to.match(/bad_audience/);
      expect(log).to.not.include(parts(token).signature);
      expect(log).to.not.include('access_token=');
    } finally {
      await sec.configure();
    }
  });
});

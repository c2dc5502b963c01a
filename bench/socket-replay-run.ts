// TEMP driver
import { startDevIssuer, DEV_AUDIENCE } from '../dev/issuer';
import { oktaJwtBenchConfig } from './bench-gateway';
import { REQUIRED_SCOPE } from './claim-mapping';
import { PLUGIN_DIRS, runSocketReplay, type ReplayCase } from './socket-replay';

async function main(): Promise<void> {
  const issuer = await startDevIssuer();
  const token = await issuer.mint({ scp: ['openid', 'profile', REQUIRED_SCOPE, 'orders:write'], groups: ['Everyone', 'Orders'] });
  const cases: ReplayCase[] = [
    { id: 'ref-stock', title: 'reference, stock', server: 'stock', pluginsDir: PLUGIN_DIRS.reference, plugin: 'bench-reference', config: {} },
    { id: 'ref-ours', title: 'reference, ours', server: 'hardened', pluginsDir: PLUGIN_DIRS.reference, plugin: 'bench-reference', config: {} },
    { id: 'okta-ours', title: 'okta, ours', server: 'hardened', pluginsDir: PLUGIN_DIRS.okta, plugin: 'okta-jwt', config: oktaJwtBenchConfig(issuer.issuer) },
    { id: 'okta-stock', title: 'okta, stock', server: 'stock', pluginsDir: PLUGIN_DIRS.okta, plugin: 'okta-jwt', config: oktaJwtBenchConfig(issuer.issuer) },
    { id: 'floor-ours', title: 'floor, ours', server: 'hardened', pluginsDir: PLUGIN_DIRS.floor, plugin: 'bench-floor', config: { issuer: issuer.issuer, audience: DEV_AUDIENCE, cache: true } },
  ];
  const only = process.env.CASES?.split(','); if (only) cases.splice(0, cases.length, ...cases.filter((c) => only.includes(c.id)));
  const headers = { host: ['127.0.0.1:8000'], authorization: [`Bearer ${token}`] };
  const res = await runSocketReplay(cases, headers, { requests: Number(process.env.N ?? 20000), warmUp: 5000, repetitions: Number(process.env.R ?? 5), concurrency: Number(process.env.C ?? 4) });
  for (const r of res) console.log(r.id.padEnd(12), r.cpuUsPerRequest.toFixed(1), r.perRepetition.map((x) => x.toFixed(1)).join(' '), 'pdk', r.pdkCallsPerRequest);
  const ref = res.find((r) => r.id === 'ref-stock')!.cpuUsPerRequest;
  for (const r of res) console.log(r.id, (r.cpuUsPerRequest / ref).toFixed(2));
  await issuer.close();
}
main().catch((e) => { console.error(e); process.exit(1); });

// The plugin's own share of a request, without the socket: each case's access() runs in this
// process behind the plugin server's PDK bridge (server/pdk-bridge.ts), and "Kong" answers every PDK
// call at once with what the socket replay answers (get_headers decoded by the server's decoder from
// the same bytes). The difference between okta-jwt and the least-work plugin here is what okta-jwt's
// code costs per cached request; the socket replay (socket-replay.ts) adds what both pay for the RPC.
// Quick (seconds), so a change can be tried and compared: CPU of this process, medians of
// interleaved passes. On a busy machine compare runs taken back to back.
//   node dist/test/bench/handler-cost.js [case …]   cases: a, b, b-guard (default: all)
//   HANDLER_COST_EVENTS (20000 per pass), HANDLER_COST_PASSES (9), HANDLER_COST_WARMUP (3000)
import { encode } from '@msgpack/msgpack';
import { EventExchange, eventPdk } from '../server/pdk-bridge';
import { decodeMessage } from '../server/msgpack-decode';
import { toStartInstanceConfig, validatePluginConfig } from '../spec/kong-double/schema';
import { startDevIssuer } from '../dev/issuer';
import { BENCH_TOKEN_CLAIMS } from './claim-mapping';
import { pluginSchema, replayCases, replayHeaders, type ReplayCase } from './socket-replay';
import { median } from './stats';

interface Phase {
  access(kong: unknown): Promise<void>;
}

const events = Number(process.env.HANDLER_COST_EVENTS ?? 20000);
const passes = Number(process.env.HANDLER_COST_PASSES ?? 9);
const warmUp = Number(process.env.HANDLER_COST_WARMUP ?? 3000);

/** An instance of the case's plugin, configured as Kong would (schema defaults filled in). */
function instance(c: ReplayCase): Phase {
  const checked = validatePluginConfig(pluginSchema(c), c.config);
  if (!checked.ok) throw new Error(`${c.id}: config refused: ${JSON.stringify(checked.errors)}`);
  const mod = require(`${c.pluginsDir}/${c.plugin}`) as { Plugin: new (config: unknown) => Phase };
  return new mod.Plugin(toStartInstanceConfig(checked.config));
}

/** Kong's answers, as bytes on the wire, decoded afresh for every call as the server does. */
function answers(headers: Record<string, string[]>): Map<string, Uint8Array> {
  return new Map([
    ['kong.request.get_headers', encode(headers)],
    ['kong.request.get_header', encode(headers.authorization?.[0] ?? null)],
  ]);
}

async function event(plugin: Phase, wire: Map<string, Uint8Array>): Promise<void> {
  const exchange = new EventExchange();
  const done = plugin.access(eventPdk(exchange)).finally(() => exchange.fromHandler.put('ret'));
  for (;;) {
    const call = await exchange.fromHandler.take();
    if (call === 'ret') break;
    if (call.Method === 'kong.service.request.set_headers' || call.Method === 'kong.ctx.shared.set') {
      exchange.toHandler.put([null, undefined]);
      continue;
    }
    const bytes = wire.get(call.Method);
    if (bytes === undefined) throw new Error(`unexpected PDK call ${call.Method} (the case left the cached allow path)`);
    exchange.toHandler.put([decodeMessage(bytes).value, undefined]);
  }
  await done;
}

function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function main(): Promise<void> {
  const issuer = await startDevIssuer();
  try {
    const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['a', 'b', 'b-guard'];
    const cases = replayCases(issuer.issuer).filter((c) => wanted.includes(c.id) && c.server === 'hardened');
    const wire = answers(replayHeaders(await issuer.mint(BENCH_TOKEN_CLAIMS)));
    const plugins = cases.map((c) => ({ id: c.id, plugin: instance(c), samples: [] as number[] }));
    for (const p of plugins) for (let i = 0; i < warmUp; i++) await event(p.plugin, wire);
    for (let pass = 0; pass < passes; pass++) {
      for (const p of plugins) {
        const before = cpuUs();
        for (let i = 0; i < events; i++) await event(p.plugin, wire);
        p.samples.push((cpuUs() - before) / events);
      }
    }
    const base = plugins.find((p) => p.id === 'a');
    const baseUs = base === undefined ? undefined : median(base.samples);
    for (const p of plugins) {
      const us = median(p.samples);
      const beyond = baseUs === undefined ? '' : `  ${us >= baseUs ? '+' : ''}${(us - baseUs).toFixed(2)} µs beyond (a)`;
      console.log(`${p.id.padEnd(8)} ${us.toFixed(2)} µs CPU per event (median of ${passes} passes of ${events})${beyond}`);
    }
  } finally {
    await issuer.close();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});

// Publishes the plugin's PluginStats (sink.ts) in its process-wide slot, for okta-jwt-pluginserver's
// gauges. One assignment when the plugin module loads; the accessors cost nothing until a scrape.
import { verifiedTokenCount } from '../cache/verified-tokens';
import { replayCacheSize } from '../dpop/replay-cache';
import { PLUGIN_STATS_SLOT, type PluginStats } from './sink';

export function publishPluginStats(version: string): void {
  const stats: PluginStats = { version, verifiedTokens: verifiedTokenCount, dpopProofs: replayCacheSize };
  (globalThis as Record<symbol, unknown>)[PLUGIN_STATS_SLOT] = stats;
}

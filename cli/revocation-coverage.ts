// Across the okta-jwt configs of one Kong node: does every revocation an SSF receiver takes reach
// the plugins that verify that issuer's tokens, for as long as those plugins can accept a token it
// covers? Each config passes its own checks either way; these mismatches only show side by side, and
// each silently lets revoked tokens through:
// - the receiver keeps a revocation for its own max_token_age_seconds + leeway_seconds; a verifying
//   plugin accepting older tokens accepts a revoked one again once the revocation is dropped;
// - a verifying plugin with revocations.sync "redis" learns only what receivers share through the
//   same Redis (host, port, database, key_prefix); a receiver that does not share reaches only the
//   plugins of the node that received the SET.
import type { PluginConfig, RedisSettings } from '../plugin/config/types';
import { fail, pass, type Check } from './check';

export interface JudgedConfig {
  config: PluginConfig;
  where: string;
}

const ID = 'config.revocations';

const sameList = (a: RedisSettings, b: RedisSettings) => a.host === b.host && a.port === b.port && a.database === b.database && a.keyPrefix === b.keyPrefix;

const sharesWith = (receiver: PluginConfig, verifier: PluginConfig) =>
  receiver.revocations.sync === 'redis' && receiver.redis !== null && verifier.redis !== null && sameList(receiver.redis, verifier.redis);

export function revocationCoverageChecks(configs: readonly JudgedConfig[]): Check[] {
  const receivers = configs.filter((c) => c.config.ssfReceiver !== null);
  if (receivers.length === 0) return [];
  const checks: Check[] = [];
  for (const receiver of receivers) {
    const settings = receiver.config.ssfReceiver!;
    const verifiers = configs.filter((v) => v.config.ssfReceiver === null && v.config.issuers.some((i) => settings.tokenIssuers.includes(i.issuer)));
    const before = checks.length;
    for (const verifier of verifiers) {
      const accepts = verifier.config.maxTokenAgeSeconds + verifier.config.leewaySeconds;
      if (settings.retentionSeconds < accepts) {
        checks.push(fail(ID, `${receiver.where} keeps a revocation ${settings.retentionSeconds} s (its max_token_age_seconds + leeway_seconds), but ${verifier.where} accepts tokens up to ${accepts} s old: a revoked token is accepted there again once the revocation is dropped; give the receiver a max_token_age_seconds of at least ${accepts - receiver.config.leewaySeconds}`, 'max_token_age_seconds'));
      }
      if (verifier.config.revocations.sync === 'redis' && !sharesWith(receiver.config, verifier.config)) {
        checks.push(fail(ID, `${verifier.where} follows the revocations shared through Redis, but ${receiver.where} does not share its revocations there (revocations.sync "redis" with the same redis host, port, database and key_prefix): revocations it receives never reach that plugin on the other Kong nodes`, 'revocations.sync'));
      }
    }
    if (checks.length === before) checks.push(pass(ID, `${receiver.where}: its revocations reach the ${verifiers.length} plugin(s) verifying its issuers' tokens for as long as they accept such a token`));
  }
  return checks;
}

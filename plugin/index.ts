// The module kong-js-pluginserver loads: Name, Version, Priority, Schema and the Plugin class; and
// EntityChecks, which okta-jwt-pluginserver adds to the config record of the plugin info.
import { normaliseConfig } from './config/normalise';
import { configEntityChecks, configFields } from './config/schema';
import type { PluginConfig } from './config/types';
import { keySetFor, type KeySet } from './keys';
import { queueWarning } from './log/deferred-log';
import { handleAccess } from './handler/access';
import { followRevocations } from './revocation/revocation-check';
import { handleSetPush } from './ssf/receiver';
import type { KeySets } from './verify/verify-token';
import type { Pdk } from './handler/pdk';
import { packageVersion } from './version';
import { publishPluginStats } from './metrics/publish-stats';

export const Name = 'okta-jwt';
export const Version = packageVersion();
publishPluginStats(Version);
// Runs after cors (2000), so CORS preflights are answered first, and before acl (950) and
// rate-limiting (910), so they see the consumer this plugin authenticates. It sits with Kong's
// other token plugins (openid-connect 1050, jwt 1450).
export const Priority = 1060;
export const Schema = configFields;
/** The config record's entity_checks (config/entity-checks.ts); kong-pdk's stock server ignores them. */
export const EntityChecks = configEntityChecks;

export class Plugin {
  private readonly config: PluginConfig;
  private readonly keySets: KeySets;
  /** The transmitter's key set when this instance is an SSF receiver (its route takes pushed SETs only). */
  private readonly transmitterKeys: KeySet | null;

  /** Throws ConfigError for a config Kong's schema could not fully check: Kong then answers 500 (closed). */
  constructor(rawConfig: unknown) {
    this.config = normaliseConfig(rawConfig);
    const receiver = this.config.ssfReceiver;
    this.transmitterKeys = receiver === null ? null : keySetFor(receiver.keys, { warn: queueWarning });
    this.transmitterKeys?.warm();
    this.keySets = receiver !== null ? new Map() : new Map(this.config.issuers.map((issuer) => [issuer.issuer, keySetFor(issuer.keys, { warn: queueWarning })]));
    for (const keySet of this.keySets.values()) keySet.warm();
    followRevocations(this.config);
  }

  access(kong: Pdk): Promise<void> {
    if (this.transmitterKeys !== null) return handleSetPush(kong, this.config, this.config.ssfReceiver!, this.transmitterKeys);
    return handleAccess(kong, this.config, this.keySets);
  }
}

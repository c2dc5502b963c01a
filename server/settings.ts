// Tunables of the launcher, read from the environment so the command line stays exactly that of
// kong-js-pluginserver. Kong starts the server with a minimal environment: set them in the start
// command, e.g. `/usr/bin/env OKTA_JWT_PS_INSTANCE_TTL=300 /usr/local/bin/okta-jwt-pluginserver …`.

export interface ServerSettings {
  /** Seconds an instance may stay unused before it is dropped (Kong then gets "no plugin instance" and restarts it). */
  instanceTtlSeconds: number;
  /** Seconds an event may wait without any Step from Kong before it is dropped (Kong gave up on it). */
  eventTtlSeconds: number;
  /** Under --supervise: seconds a replaced worker may take to finish its events before it exits anyway. */
  drainTimeoutSeconds: number;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  // kong-pdk's own idle limit.
  instanceTtlSeconds: 60,
  // Twice OpenResty's default 60 s socket timeout: Kong has abandoned any event idle this long.
  eventTtlSeconds: 120,
  // Kong's events last milliseconds; one that has not finished in this long is abandoned.
  drainTimeoutSeconds: 30,
};

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  return {
    instanceTtlSeconds: positiveSeconds(env, 'OKTA_JWT_PS_INSTANCE_TTL', DEFAULT_SETTINGS.instanceTtlSeconds),
    eventTtlSeconds: positiveSeconds(env, 'OKTA_JWT_PS_EVENT_TTL', DEFAULT_SETTINGS.eventTtlSeconds),
    drainTimeoutSeconds: positiveSeconds(env, 'OKTA_JWT_PS_DRAIN_TIMEOUT', DEFAULT_SETTINGS.drainTimeoutSeconds),
  };
}

function positiveSeconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  return n;
}

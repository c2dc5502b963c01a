// What each Kong version needs from its plugin-server settings, read from Kong's source
// (kong/runloop/plugin_servers/ of each release tag) and recorded on 3.4.2 and 3.9.3 (docs/deploy.md
// "Kong versions" has the table and the references):
// - 3.1.0 to 3.4.x run an external plugin only after a readiness check that each worker schedules for
//   servers WITH a start command (removed in 3.5.0). Without one, Kong skips okta-jwt on every request.
// - 3.9.x keeps the process handle of a server it starts in kong.configuration, which GET / serialises:
//   any start command makes the Admin API's GET / answer 500 (fixed after 3.9, in 3.10.0).

export interface KongVersion {
  major: number;
  minor: number;
  patch: number;
  /** As Kong reported it, e.g. "3.4.2" or "3.4.3.5" (Enterprise). */
  text: string;
}

/** "3.4.2", "3.4.3.5-enterprise-edition", "kong/3.9.3" (a Server header): the version, else null. */
export function parseKongVersion(text: string): KongVersion | null {
  const match = /^(?:kong\/)?(\d+)\.(\d+)\.(\d+)/i.exec(text.trim());
  if (match === null) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), text: text.trim().replace(/^kong\//i, '') };
}

/** Kong runs an external plugin only once a readiness check passed, and schedules that check only for a server with a start command. */
export const readinessNeedsStartCommand = (v: KongVersion): boolean => v.major === 3 && v.minor >= 1 && v.minor <= 4;

/** Any start command makes the Admin API's GET / answer 500 (decK cannot read the version). */
export const startCommandBreaksAdminRoot = (v: KongVersion): boolean => v.major === 3 && v.minor === 9;

/**
 * A start command that serves nothing, beside an externally supervised okta-jwt-pluginserver: on the
 * versions that need one it only lets the readiness check run (recorded on 3.4.2, batch4 §10).
 */
export const PLACEHOLDER_START_CMD = '/bin/sleep 100000000';

/** What this version needs, in one sentence, for reports and docs. */
export function startCommandAdvice(v: KongVersion): string {
  if (readinessNeedsStartCommand(v)) return `Kong ${v.text} needs pluginserver_okta_jwt_start_cmd (with an external server: the placeholder "${PLACEHOLDER_START_CMD}")`;
  if (startCommandBreaksAdminRoot(v)) return `Kong ${v.text} needs NO start command (any start command makes GET / answer 500)`;
  return `Kong ${v.text} works with or without a start command`;
}

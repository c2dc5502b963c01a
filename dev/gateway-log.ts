// What `npm start` prints after its banner: the double's error log filtered as Kong's default
// log_level (notice) filters error.log, plus okta-jwt's refusal lines at any level (their default
// level is info, which Kong would drop, yet they are the first thing to look at when a request is
// refused); and a start failure on a busy port names the variable that moves it.
import type { ErrorLog, LogLevel, LogLine } from '../spec/kong-double/recorder';

const SHOWN: ReadonlySet<LogLevel> = new Set(['notice', 'warn', 'error', 'crit', 'alert', 'emerg']);
/** The start of the line plugin/handler/access.ts logs per refusal. */
const REFUSAL = 'okta-jwt refused the request:';

export function shownInTerminal(line: LogLine): boolean {
  return SHOWN.has(line.level) || line.message.includes(REFUSAL);
}

/** Prints the lines logged so far and every later one that Kong's terminal would show. */
export function followErrorLog(log: ErrorLog, print: (text: string) => void): void {
  const show = (line: LogLine) => {
    if (shownInTerminal(line)) print(`[${line.level}] ${line.message}`);
  };
  log.lines.forEach(show);
  log.follow(show);
}

/** For EADDRINUSE: which of the port variables asked for the busy port, and how to move it. */
export function portInUseMessage(err: unknown, defaults: Record<string, number>, env: NodeJS.ProcessEnv): string | null {
  const { code, port } = (err ?? {}) as { code?: string; port?: number };
  if (code !== 'EADDRINUSE' || port === undefined) return null;
  const names = Object.keys(defaults).filter((name) => Number(env[name] ?? defaults[name]) === port);
  const which = names.length ? names.join(' or ') : 'one of the port variables';
  return `port ${port} is already in use; set ${which} to a free port (0 picks one), e.g. ${names[0] ?? 'PROXY_PORT'}=0 npm start`;
}

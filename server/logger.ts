// Plain-text log lines on stderr. kong-pdk's logger (node-color-log) writes to stdout, which breaks
// the query command (`--dump-all-plugins` must print only JSON, kong-js-pdk #82); Kong merges the
// plugin server's stdout and stderr into its error.log anyway, so stderr loses nothing.
import { format } from 'node:util';
import type Server from 'kong-pdk/server';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function stderrLogger(minLevel: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Server.Logger {
  const min = LEVELS.indexOf(minLevel);
  const at = (level: LogLevel) =>
    LEVELS.indexOf(level) < min
      ? () => undefined
      : (...args: unknown[]) => write(`${new Date().toISOString()} [${level}] ${format(...args)}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

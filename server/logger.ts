// Plain-text log lines on stderr. kong-pdk's logger (node-color-log) writes to stdout, which breaks
// the query command (`--dump-all-plugins` must print only JSON, kong-js-pdk #82); Kong merges the
// plugin server's stdout and stderr into its error.log anyway, so stderr loses nothing.
import { format } from 'node:util';
import type Server from 'kong-pdk/server';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

/**
 * kong-pdk's listener logs every call's arguments at debug level (`-v`): Step data carries request
 * headers, bearer tokens included. Only their size is kept.
 */
const RPC_ARGS = /^(rpc: #\S+ method: \S+ args: )([\s\S]*)$/;
export function hideRpcArguments(message: string): string {
  return message.replace(RPC_ARGS, (_, head: string, args: string) => `${head}<${Buffer.byteLength(args)} bytes hidden>`);
}

export function stderrLogger(minLevel: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Server.Logger {
  const min = LEVELS.indexOf(minLevel);
  const at = (level: LogLevel) =>
    LEVELS.indexOf(level) < min
      ? () => undefined
      : (...args: unknown[]) => write(`${new Date().toISOString()} [${level}] ${hideRpcArguments(format(...args))}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

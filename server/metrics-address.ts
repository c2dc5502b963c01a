// Where okta-jwt-pluginserver serves Prometheus metrics: `--metrics ADDR` (or `--metrics=ADDR`) on
// the command line, else OKTA_JWT_METRICS_ADDR; neither means no endpoint. ADDR is host:port,
// [ipv6]:port, or a bare port, which binds to 127.0.0.1: the endpoint has no authentication, so
// listening beyond the host is an explicit choice.
// The flag is taken out of argv before kong-pdk's parser sees it (that parser refuses unknown options).

export interface MetricsAddress {
  host: string;
  port: number;
}

export const METRICS_ENV = 'OKTA_JWT_METRICS_ADDR';
const FLAG = '--metrics';

/** Removes the flag (and its value) from `argv` and returns the address, or null when metrics are off. Throws for a bad value. */
export function takeMetricsAddress(argv: string[], env: NodeJS.ProcessEnv = process.env): MetricsAddress | null {
  let fromFlag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === FLAG) {
      fromFlag = argv[i + 1];
      if (fromFlag === undefined || fromFlag.startsWith('-')) throw new Error(`${FLAG} needs an address, e.g. ${FLAG} 127.0.0.1:9542`);
      argv.splice(i, 2);
      i--;
    } else if (arg.startsWith(`${FLAG}=`)) {
      fromFlag = arg.slice(FLAG.length + 1);
      argv.splice(i, 1);
      i--;
    }
  }
  if (fromFlag !== undefined) return parseMetricsAddress(fromFlag, FLAG);
  const fromEnv = env[METRICS_ENV];
  return fromEnv === undefined || fromEnv === '' ? null : parseMetricsAddress(fromEnv, METRICS_ENV);
}

export function parseMetricsAddress(value: string, source: string): MetricsAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new Error(`${source} must be host:port or a port (1-65535), e.g. 127.0.0.1:9542, got ${JSON.stringify(value)}`);
  }
  const host = match[1] === undefined ? '127.0.0.1' : match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

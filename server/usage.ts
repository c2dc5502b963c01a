// `okta-jwt-pluginserver --help`: its own flags and environment, not kong-pdk's stock help (which
// knows nothing of --health, --metrics or --supervise). The flags Kong itself passes (-p, -d,
// --sock-name, --dump-all-plugins, --dump-plugin-info, -v) are kong-js-pluginserver's, unchanged.
import { DEFAULT_SETTINGS } from './settings';
import { METRICS_ENV } from './metrics-address';
import { HEALTH_USAGE } from './health';

export const PLUGIN_SERVER_USAGE = `Usage: okta-jwt-pluginserver -d PLUGINS_DIR [-p PREFIX] [--sock-name NAME] [options]

Serves okta-jwt to Kong over its plugin-server socket PREFIX/NAME (a drop-in replacement for
kong-pdk's kong-js-pluginserver, with the same command line).

Kong's flags (as kong-js-pluginserver):
  -d, --plugins-directory DIR   the folder holding okta-jwt.js (made absolute here)
  -p, --kong-prefix PREFIX      socket folder (default /usr/local/kong)
  --sock-name NAME              socket file name (default js_pluginserver.sock)
  --dump-all-plugins            print every plugin's info as JSON and exit (pluginserver_<name>_query_cmd)
  --dump-plugin-info NAME       print one plugin's info (MessagePack) and exit
  -v, --verbose                 log more (repeat, -vv, for debug)

okta-jwt's flags:
  --metrics ADDR                serve Prometheus metrics on http://ADDR/metrics (host:port, [ipv6]:port,
                                or a port on 127.0.0.1); no authentication: keep it off the public network
  --supervise                   run an active and a standby worker: a crash costs the calls in flight,
                                SIGHUP starts the code on disk and hands over without dropping requests
  --health                      ask the running server on PREFIX/NAME for okta-jwt's info and exit
                                0 (healthy) or 1; takes the start command's flags (see below)
  --version                     print okta-jwt's version and exit
  -h, --help                    print this and exit

Environment:
  ${METRICS_ENV}         as --metrics, when the flag is absent
  OKTA_JWT_PS_INSTANCE_TTL      seconds an unused plugin instance is kept (default ${DEFAULT_SETTINGS.instanceTtlSeconds})
  OKTA_JWT_PS_EVENT_TTL         seconds an event may wait for Kong's next call before it is dropped (default ${DEFAULT_SETTINGS.eventTtlSeconds})
  OKTA_JWT_PS_DRAIN_TIMEOUT     --supervise: seconds a replaced worker may take to finish its events (default ${DEFAULT_SETTINGS.drainTimeoutSeconds})
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY   the egress proxy for issuer requests, unless the plugin config sets key_set.proxy_url
  (OKTA_JWT_PS_WORKER is set by --supervise for its workers; do not set it.)
  Kong starts the server with a minimal environment: put these in the start command
  (/usr/bin/env NAME=VALUE okta-jwt-pluginserver …) or the service unit.

Signals: SIGTERM/SIGINT finish the events in flight and exit 0; SIGHUP (--supervise) upgrades in place.

${HEALTH_USAGE}`;

/** True for the flags that ask for this text (kong-pdk's parser would print its own). */
export const asksForHelp = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

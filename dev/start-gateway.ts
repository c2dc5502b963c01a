// `npm start`: a local gateway for trying okta-jwt without Docker or Kong. It runs the Kong double
// (Kong's side of the plugin-server protocol, spec/kong-double/) with the real plugin server and
// the built plugin, the Okta-shaped dev issuer and the echo upstream, on fixed local ports, then
// prints a ready-to-paste curl with a freshly minted token, then the double's error log as Kong
// would show it (dev/gateway-log.ts).
// The plugin server runs beside the gateway, supervised here (restarted when it exits), and the
// gateway only connects to its socket – Kong's "external process management" (no start command),
// so the Admin API's GET / answers 200 and decK works against it (batch3 §3).
//   PROXY_PORT (8000), ADMIN_PORT (8001), ISSUER_PORT (9000), ECHO_PORT (8080); 0 picks a free port
//   KONG_DATABASE=postgres          DB mode: Admin API writes (curl, deck gateway sync), no POST /config
//   KONG_WORKER_STATE_UPDATE_FREQUENCY  DB mode: seconds until plugin writes run (default 5, as Kong)
//   OKTA_JWT_PLUGIN_SERVER=stock   use kong-pdk's kong-js-pluginserver instead of okta-jwt-pluginserver
//   OKTA_JWT_METRICS_ADDR          serve the plugin server's Prometheus metrics there (e.g. 9542)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalStack } from './local-stack';
import { DEFAULT_ISSUER_URL } from './mint-token';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from './dev-identity';
import { followErrorLog, portInUseMessage } from './gateway-log';
import { repoRoot } from '../spec/support/repo-paths';
import { PluginServerProcess, pluginServerBinary } from '../spec/kong-double/plugin-server';
import { ErrorLog } from '../spec/kong-double/recorder';
import { KONG_DELAYS } from '../spec/kong-double';
import { METRICS_ENV, parseMetricsAddress } from '../server/metrics-address';

const PORTS = { PROXY_PORT: 8000, ADMIN_PORT: 8001, ISSUER_PORT: 9000, ECHO_PORT: 8080 };
const port = (name: keyof typeof PORTS) => Number(process.env[name] ?? PORTS[name]);
const root = repoRoot();
/** The dev stream's SET audience and Authorization value (an Okta stream has its own: docs/revocation.md). */
const DEV_RECEIVER_AUDIENCE = 'okta-jwt-dev-receiver';
const DEV_STREAM_AUTHORIZATION = 'Bearer dev-stream-secret-change-me';

async function main(): Promise<void> {
  const database = process.env.KONG_DATABASE === 'postgres' ? 'postgres' : 'off';
  const frequency = Number(process.env.KONG_WORKER_STATE_UPDATE_FREQUENCY ?? KONG_DELAYS.pluginsMs / 1000);
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-start-'));
  const socketPath = path.join(prefix, 'okta-jwt.sock');
  const pluginsDir = path.join(root, 'dist', 'plugins');
  // The supervisor's log is shown like the gateway's (notice and above).
  const supervisorLog = new ErrorLog(() => 0);
  followErrorLog(supervisorLog, (text) => process.stdout.write(`${text}\n`));
  const server = new PluginServerProcess('okta-jwt', [pluginServerBinary(), '-p', prefix, '--sock-name', 'okta-jwt.sock', '-d', pluginsDir], socketPath, supervisorLog, true);
  await server.start();
  const stack = await startLocalStack({
    issuer: { port: port('ISSUER_PORT') },
    echoPort: port('ECHO_PORT'),
    double: {
      pluginServers: [{ name: 'okta-jwt', pluginsDir, startCommand: null, socketPath }],
      proxyPort: port('PROXY_PORT'),
      adminPort: port('ADMIN_PORT'),
      database,
      propagation: { pluginsMs: frequency * 1000 },
      // Nothing reads the frames of a long-running local gateway: do not keep them.
      recordRpc: false,
    },
    config: (issuer, echo) => {
      const okta = (extra: Record<string, unknown>) => ({
        name: 'okta-jwt',
        config: {
          issuer: issuer.issuer,
          audiences: ['api://default'],
          scopes_required: ['orders:read'],
          claims_to_headers: [
            { claim: 'sub', header: 'X-User-Sub' },
            { claim: 'cid', header: 'X-Client-Id' },
            { claim: 'scp', header: 'X-Token-Scopes' },
          ],
          ...extra,
        },
      });
      return {
        _format_version: '3.0',
        services: [
          {
            name: 'echo',
            url: echo.url,
            routes: [
              // Bearer tokens as before, and DPoP-bound tokens with a proof (docs/dpop.md).
              { name: 'echo', paths: ['/echo'], plugins: [okta({ dpop: { mode: 'allowed' } })] },
              // A sensitive route: every write asks the issuer whether the token is still active
              // (docs/introspection.md), so a revoked token is refused here within cache_ttl_seconds.
              {
                name: 'payments',
                paths: ['/payments'],
                plugins: [okta({
                  introspection: { client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET, cache_ttl_seconds: 5 },
                  rules: [{ paths: ['/payments*'], scopes_required: ['orders:read'], introspection: { mode: 'always', methods: ['POST', 'PUT', 'PATCH', 'DELETE'] } }],
                })],
              },
              {
                // An SSF receiver (docs/revocation.md): SETs pushed here revoke tokens of the issuer above.
                name: 'ssf-receiver',
                paths: ['/ssf/events'],
                plugins: [{ name: 'okta-jwt', config: { issuer: issuer.issuer, audiences: ['api://default'], ssf_receiver: { transmitter_issuer: issuer.ssf.issuer, audiences: [DEV_RECEIVER_AUDIENCE], authorization: DEV_STREAM_AUTHORIZATION } } }],
              },
            ],
          },
        ],
      };
    },
  }).catch(async (err: unknown) => {
    await server.close(); // the supervised plugin server goes with a failed start
    fs.rmSync(prefix, { recursive: true, force: true });
    throw err;
  });
  const { issuer, echo, double: kong } = stack;
  const token = await issuer.mint({ scp: ['orders:read'], sub: 'alice@example.com' });
  const serverName = process.env.OKTA_JWT_PLUGIN_SERVER === 'stock' ? 'kong-js-pluginserver' : 'okta-jwt-pluginserver';
  const admin = database === 'off'
    ? 'DB-less: POST /config takes a kong.yml (JSON, YAML, or -F config=@kong.yml);\n             Admin API writes and decK sync get 405 here: for them, KONG_DATABASE=postgres npm start'
    : `DB mode (the database is in memory: gone when this stops): Admin API writes and\n             deck gateway sync --kong-addr ${kong.adminUrl}; plugin changes run after ${frequency} s`;
  const metrics = metricsLine(serverName);
  // The token command must reach THIS issuer: a token from another one is refused as foreign.
  const issuerFlag = issuer.issuer === DEFAULT_ISSUER_URL ? '' : ` --issuer-url ${issuer.issuer}`;
  console.log(`okta-jwt local gateway (Kong double + ${serverName}, pid ${server.pid}, socket ${socketPath})
  proxy      ${kong.proxyUrl}      route /echo -> echo upstream, okta-jwt requires scope orders:read;
                                     route /payments: the same, and writes are introspected at the issuer
                                     route /ssf/events: receives Okta-style revocation signals (SSF)
  admin      ${kong.adminUrl}      ${admin}
  issuer     ${issuer.issuer}
  upstream   ${echo.url}
  metrics    ${metrics}
  plugin server: started by npm start, restarted when it exits (Kong's "assuming external process
             management" notice means Kong itself does not start it)

Try it (token valid for an hour; mint more with: npm run token --${issuerFlag} --scope orders:read --sub bob):

  curl -i -H "Authorization: Bearer ${token}" ${kong.proxyUrl}/echo/hello

  curl -i ${kong.proxyUrl}/echo/hello        # 401 with a WWW-Authenticate challenge

A DPoP-bound token and a proof for one request (a proof is good once; run both lines again):

  eval "$(npm run -s token --${issuerFlag} --scope orders:read --dpop --htm GET --htu ${kong.proxyUrl}/echo/hello)"
  curl -i -H "Authorization: DPoP $TOKEN" -H "DPoP: $DPOP_PROOF" ${kong.proxyUrl}/echo/hello

Revocation: /payments asks the issuer about every write (introspection), /echo never does:

  curl -i -X POST -H "Authorization: Bearer ${token}" ${kong.proxyUrl}/payments/charge   # 200
  curl -u ${DEV_CLIENT_ID}:${DEV_CLIENT_SECRET} -d token=${token} ${issuer.issuer}/v1/revoke
  curl -i -X POST -H "Authorization: Bearer ${token}" ${kong.proxyUrl}/payments/charge   # 401 within 5 s (token_revoked)
  curl -i -H "Authorization: Bearer ${token}" ${kong.proxyUrl}/echo/hello                # still 200 until it expires

Okta's revocation signals: the dev issuer pushes a signed session-revoked SET for alice to the
receiver route (/ssf/events); the first curl above then answers 401 (token_revoked):

  curl -s -X POST -H 'Content-Type: application/json' ${issuer.issuer}/v1/dev/control/ssf/push \\
    -d '{"endpoint":"${kong.proxyUrl}/ssf/events","aud":"${DEV_RECEIVER_AUDIENCE}","authorization":"${DEV_STREAM_AUTHORIZATION}","subject":{"format":"email","email":"alice@example.com"}}'

Ctrl-C stops everything. Kong's error log (notice and above, and okta-jwt's refusal lines) follows:
`);
  followErrorLog(kong.errorLog, (text) => process.stdout.write(`${text}\n`));

  const stop = async () => {
    await stack.close();
    await server.close();
    fs.rmSync(prefix, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Where the plugin server serves metrics (OKTA_JWT_METRICS_ADDR, which it inherits), or how to turn them on. */
function metricsLine(serverName: string): string {
  if (serverName !== 'okta-jwt-pluginserver') return 'none (kong-js-pluginserver has no metrics endpoint)';
  const value = process.env[METRICS_ENV];
  if (value === undefined || value === '') return `off (${METRICS_ENV}=9542 npm start serves them on http://127.0.0.1:9542/metrics)`;
  const { host, port } = parseMetricsAddress(value, METRICS_ENV);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
}

main().catch((err: unknown) => {
  const message = portInUseMessage(err, PORTS, process.env) ?? (err instanceof Error ? err.message : String(err));
  console.error(`npm start failed: ${message}`);
  process.exit(1);
});

// `npm start`: a local gateway for trying okta-jwt without Docker or Kong. It runs the Kong double
// (Kong's side of the plugin-server protocol, spec/kong-double/) with the real plugin server and
// the built plugin, the Okta-shaped dev issuer and the echo upstream, on fixed local ports, then
// prints a ready-to-paste curl with a freshly minted token, then the double's error log as Kong
// would show it (dev/gateway-log.ts).
//   PROXY_PORT (8000), ADMIN_PORT (8001), ISSUER_PORT (9000), ECHO_PORT (8080); 0 picks a free port
//   OKTA_JWT_PLUGIN_SERVER=stock   use kong-pdk's kong-js-pluginserver instead of okta-jwt-pluginserver
import path from 'node:path';
import { startLocalStack } from './local-stack';
import { DEFAULT_ISSUER_URL } from './mint-token';
import { followErrorLog, portInUseMessage } from './gateway-log';
import { repoRoot } from '../spec/support/repo-paths';

const PORTS = { PROXY_PORT: 8000, ADMIN_PORT: 8001, ISSUER_PORT: 9000, ECHO_PORT: 8080 };
const port = (name: keyof typeof PORTS) => Number(process.env[name] ?? PORTS[name]);
const root = repoRoot();

async function main(): Promise<void> {
  const stack = await startLocalStack({
    issuer: { port: port('ISSUER_PORT') },
    echoPort: port('ECHO_PORT'),
    double: {
      pluginServers: [{ name: 'okta-jwt', pluginsDir: path.join(root, 'dist', 'plugins') }],
      proxyPort: port('PROXY_PORT'),
      adminPort: port('ADMIN_PORT'),
      // Nothing reads the frames of a long-running local gateway: do not keep them.
      recordRpc: false,
    },
    config: (issuer, echo) => ({
      _format_version: '3.0',
      services: [
        {
          name: 'echo',
          url: echo.url,
          routes: [
            {
              name: 'echo',
              paths: ['/echo'],
              plugins: [
                {
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
                    // Bearer tokens as before, and DPoP-bound tokens with a proof (README "DPoP").
                    dpop: { mode: 'allowed' },
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  const { issuer, echo, double: kong } = stack;
  const token = await issuer.mint({ scp: ['orders:read'], sub: 'alice@example.com' });
  const server = process.env.OKTA_JWT_PLUGIN_SERVER === 'stock' ? 'kong-js-pluginserver' : 'okta-jwt-pluginserver';
  // The token command must reach THIS issuer: a token from another one is refused as foreign.
  const issuerFlag = issuer.issuer === DEFAULT_ISSUER_URL ? '' : ` --issuer-url ${issuer.issuer}`;
  console.log(`okta-jwt local gateway (Kong double + ${server})
  proxy      ${kong.proxyUrl}      route /echo -> echo upstream, okta-jwt requires scope orders:read
  admin      ${kong.adminUrl}      POST /config takes a kong.yml
  issuer     ${issuer.issuer}
  upstream   ${echo.url}

Try it (token valid for an hour; mint more with: npm run token --${issuerFlag} --scope orders:read --sub bob):

  curl -i -H "Authorization: Bearer ${token}" ${kong.proxyUrl}/echo/hello

  curl -i ${kong.proxyUrl}/echo/hello        # 401 with a WWW-Authenticate challenge

A DPoP-bound token and a proof for one request (a proof is good once; run both lines again):

  eval "$(npm run -s token --${issuerFlag} --scope orders:read --dpop --htm GET --htu ${kong.proxyUrl}/echo/hello)"
  curl -i -H "Authorization: DPoP $TOKEN" -H "DPoP: $DPOP_PROOF" ${kong.proxyUrl}/echo/hello

Ctrl-C stops everything. Kong's error log (notice and above, and okta-jwt's refusal lines) follows:
`);
  followErrorLog(kong.errorLog, (text) => process.stdout.write(`${text}\n`));

  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const message = portInUseMessage(err, PORTS, process.env) ?? (err instanceof Error ? err.message : String(err));
  console.error(`npm start failed: ${message}`);
  process.exit(1);
});

// `npm start`: a local gateway for trying okta-jwt without Docker or Kong. It runs the Kong double
// (Kong's side of the plugin-server protocol, spec/kong-double/) with the real plugin server and
// the built plugin, the Okta-shaped dev issuer and the echo upstream, on fixed local ports, then
// prints a ready-to-paste curl with a freshly minted token.
//   PROXY_PORT (8000), ADMIN_PORT (8001), ISSUER_PORT (9000), ECHO_PORT (8080)
//   OKTA_JWT_PLUGIN_SERVER=stock   use kong-pdk's kong-js-pluginserver instead of okta-jwt-pluginserver
import path from 'node:path';
import { startLocalStack } from './local-stack';
import { repoRoot } from '../spec/support/repo-paths';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const root = repoRoot();

async function main(): Promise<void> {
  const stack = await startLocalStack({
    issuer: { port: port('ISSUER_PORT', 9000) },
    echoPort: port('ECHO_PORT', 8080),
    double: {
      pluginServers: [{ name: 'okta-jwt', pluginsDir: path.join(root, 'dist', 'plugins') }],
      proxyPort: port('PROXY_PORT', 8000),
      adminPort: port('ADMIN_PORT', 8001),
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
  console.log(`okta-jwt local gateway (Kong double + ${server})
  proxy      ${kong.proxyUrl}      route /echo -> echo upstream, okta-jwt requires scope orders:read
  admin      ${kong.adminUrl}      POST /config takes a kong.yml
  issuer     ${issuer.issuer}
  upstream   ${echo.url}

Try it (token valid for an hour; mint more with: npm run token -- --scope orders:read --sub bob):

  curl -i -H "Authorization: Bearer ${token}" ${kong.proxyUrl}/echo/hello

  curl -i ${kong.proxyUrl}/echo/hello        # 401 with a WWW-Authenticate challenge

Ctrl-C stops everything.`);

  const stop = async () => {
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

// A Gateway (spec/support/gateway.ts interface) over a Kong double with a short RPC read timeout,
// for the stalled-plugin-server cases: Kong's 60 s socket timeout is what makes a stall fail open,
// and a test cannot wait a minute. startGateway() has no such option, so this wires the same parts.
import path from 'node:path';
import { startDevIssuer } from '../../../dev/issuer';
import { startEchoUpstream } from '../../../dev/echo-upstream';
import { startKongDouble } from '../../kong-double';
import { repoRoot, type Gateway } from '../../support/gateway';
import { send } from '../../support/http-client';

export async function startTimeoutGateway(readTimeoutMs: number): Promise<Gateway> {
  const issuer = await startDevIssuer();
  const echo = await startEchoUpstream();
  const double = await startKongDouble({
    pluginServers: [{ name: 'okta-jwt', pluginsDir: path.join(repoRoot(), 'dist', 'plugins') }],
    readTimeoutMs,
  }).catch(async (err) => {
    await Promise.all([issuer.close(), echo.close()]);
    throw err;
  });
  const admin = (method: string, pathAndQuery: string, body?: unknown) =>
    send(method, double.adminUrl + pathAndQuery, body === undefined ? [] : [['Content-Type', 'application/json']], body === undefined ? undefined : JSON.stringify(body));
  return {
    kind: 'double',
    proxyUrl: double.proxyUrl,
    adminUrl: double.adminUrl,
    issuer: issuer.issuer,
    upstreamUrl: echo.url,
    database: 'off',
    mint: (claims, options) => issuer.mint(claims, options),
    upstreamRequests: async () => echo.received(),
    resetUpstream: async () => echo.reset(),
    postConfig: (config) => admin('POST', '/config', config),
    admin,
    killPluginServer: async () => void double.pluginServers.get('okta-jwt')?.kill('SIGKILL'),
    double,
    devIssuer: issuer,
    close: async () => {
      await double.close();
      await Promise.all([issuer.close(), echo.close()]);
    },
  };
}

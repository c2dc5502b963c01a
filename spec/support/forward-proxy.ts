// Test-only forward proxy on 127.0.0.1, standing in for a corporate egress proxy: CONNECT tunnels
// (https targets) and absolute-form requests (http targets). It records every request it handles and
// resolves names through its own table, so a test issuer named e.g. issuer.test is reachable only
// through it (the name resolves nowhere else). Test code, not product: no pooling, no limits.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ForwardProxy {
  url: string;
  /** "CONNECT host:port" or "GET http://host:port/path", in arrival order. */
  seen: string[];
  /** Proxy-Authorization values received. */
  authorizations: string[];
  close(): Promise<void>;
}

/** `hosts`: name → address the proxy connects to (names not listed are connected to as they are). */
export async function startForwardProxy(hosts: Record<string, string> = {}): Promise<ForwardProxy> {
  const seen: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<net.Socket>();
  const address = (host: string) => hosts[host] ?? host;
  const noteAuth = (req: http.IncomingMessage) => {
    if (req.headers['proxy-authorization'] !== undefined) authorizations.push(req.headers['proxy-authorization']);
  };

  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    noteAuth(req);
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      { host: address(target.hostname), port: target.port || 80, path: target.pathname + target.search, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    noteAuth(req);
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = net.connect(Number(port), address(host ?? ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [upstream, client]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

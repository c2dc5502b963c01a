// Closed-loop HTTP load: `connections` keep-alive connections, each sending its next request as soon
// as the previous answer arrived, until `requests` answers in total. Records every latency.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  requests: number;
  connections: number;
  /** Status every answer must have; any other counts as an error. */
  expectStatus: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  elapsedMs: number;
  /** Latency of every request, microseconds. */
  latenciesUs: Float64Array;
}

function once(agent: http.Agent, target: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const target = new URL(spec.url);
  const latenciesUs = new Float64Array(spec.requests);
  let issued = 0;
  let done = 0;
  let errors = 0;
  const loop = async () => {
    while (issued < spec.requests) {
      issued++;
      const start = performance.now();
      let status = 0;
      try {
        status = await once(agent, target, spec.headers);
      } catch {
        status = 0;
      }
      latenciesUs[done++] = (performance.now() - start) * 1000;
      if (status !== spec.expectStatus) errors++;
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(spec.connections, spec.requests) }, loop));
  } finally {
    agent.destroy();
  }
  return { requests: done, errors, elapsedMs: performance.now() - started, latenciesUs };
}

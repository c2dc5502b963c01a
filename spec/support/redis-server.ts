// A real redis-server (Debian's package; .ci/run installs it when missing) started on a free
// loopback port, with no persistence, for the tests of shared state. Without redis-server on the
// PATH the tests needing it are skipped with the reason, except under CI, where they fail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import type { Context } from 'mocha';
import type { RedisSettings } from '../../plugin/config/types';
import { withFreePort } from './free-port';

export interface RedisServer {
  port: number;
  /** Plugin-side settings for this server (what normaliseConfig makes of a `redis` record). */
  settings(overrides?: Partial<RedisSettings>): RedisSettings;
  /** The `redis` record of a plugin config naming this server. */
  configRecord(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A client of its own, for assertions. */
  client(): Redis;
  /** SIGSTOP / SIGCONT: a Redis that accepts connections and answers nothing (slow or hung). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/** In a mocha before-all: skips the suite when redis-server is missing (fails under CI, which installs it). */
export function requireRedisServer(context: Context): void {
  if (redisServerInstalled()) return;
  if (process.env.CI) throw new Error('redis-server is not installed (apt-get install redis-server)');
  process.stdout.write('      (redis-server is not installed: apt-get install redis-server to run these tests)\n');
  context.skip();
}

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) done(null);
      else if (/Address already in use/.test(output)) done(Object.assign(new Error('redis-server: EADDRINUSE'), { code: 'EADDRINUSE' }));
    };
    const onExit = (code: number | null) => done(new Error(`redis-server exited (${code}): ${output.slice(-500)}`));
    const done = (err: Error | null) => {
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startRedisServer(options: { password?: string } = {}): Promise<RedisServer> {
  return withFreePort(async (port) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'];
    if (options.password) args.push('--requirepass', options.password);
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await started(child);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    child.stdout!.resume();
    const clients: Redis[] = [];
    const settings = (overrides: Partial<RedisSettings> = {}): RedisSettings => ({
      host: '127.0.0.1', port, username: null, password: options.password ?? null, database: 0,
      ssl: false, sslVerify: true, serverName: null, timeoutMs: 500, keyPrefix: 'okta-jwt-test:', ...overrides,
    });
    return {
      port,
      settings,
      configRecord: (overrides = {}) => ({ host: '127.0.0.1', port, password: options.password ?? null, timeout: 500, ...overrides }),
      client() {
        const client = new Redis({ host: '127.0.0.1', port, password: options.password, maxRetriesPerRequest: 1 });
        clients.push(client);
        return client;
      },
      pause: () => void child.kill('SIGSTOP'),
      resume: () => void child.kill('SIGCONT'),
      async stop() {
        for (const client of clients) client.disconnect();
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited;
      },
    };
  });
}

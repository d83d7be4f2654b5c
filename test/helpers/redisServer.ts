import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Full path of `name` (e.g. `redis-server`) on PATH, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export const REDIS_SERVER = findOnPath('redis-server');
/** Whether the Redis tests can run. CI installs redis-server, so there they always run. */
export const hasRedisServer = REDIS_SERVER !== null;

/** Call at the top of a Redis test file, next to `describe.skipIf(!hasRedisServer)`. */
export function warnIfRedisMissing(): void {
  if (!hasRedisServer) {
    console.warn(
      'REDIS TESTS SKIPPED: redis-server not installed (not on PATH). Install it with `apt-get install -y redis-server`; CI always has it.',
    );
  }
}

export type RedisServer = { url: string; port: number; stop(): Promise<void> };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a throw-away `redis-server` on a free port of 127.0.0.1 (no persistence, daemonized with a
 * pidfile in a temp dir) and waits until it answers PING. `stop()` kills that pid and only that pid.
 */
export async function startRedisServer(): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'rms-redis-'));
  const pidfile = join(dir, 'redis.pid');
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(
          REDIS_SERVER,
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', pidfile, '--dir', dir, '--logfile', join(dir, 'redis.log')],
          (error) => (error ? reject(error) : resolve()),
        );
      });
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (await ping(port)) {
          const pid = Number(readFileSync(pidfile, 'utf8').trim());
          return {
            url: `redis://127.0.0.1:${port}`,
            port,
            async stop() {
              if (isAlive(pid)) process.kill(pid, 'SIGTERM');
              const until = Date.now() + 5000;
              while (isAlive(pid) && Date.now() < until) await sleep(20);
              if (isAlive(pid)) process.kill(pid, 'SIGKILL');
              rmSync(dir, { recursive: true, force: true });
            },
          };
        }
        await sleep(25);
      }
      lastError = new Error(`redis-server on port ${port} did not answer PING`);
    } catch (error) {
      lastError = error; // most likely the port was taken in the meantime: try another
    }
    try {
      const pid = Number(readFileSync(pidfile, 'utf8').trim());
      if (pid && isAlive(pid)) process.kill(pid, 'SIGTERM');
    } catch {
      // no pidfile: nothing started
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isAlive, ping, REDIS_SERVER } from './redisServer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A throw-away `redis-server` (no persistence) that a test can kill and start again **on the same
 * port**, empty: what a Redis restart without persistence looks like to its clients.
 */
export type RestartableRedis = {
  url: string;
  port: number;
  /** SIGKILL (no SHUTDOWN, no save): the clients see their connections drop. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts a new, empty redis-server on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** Kills it (if running) and removes its temp dir. */
  stop(): Promise<void>;
};

export async function startRestartableRedisServer(): Promise<RestartableRedis> {
  const server = REDIS_SERVER;
  if (!server) throw new Error('redis-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'rms-redis-restart-'));
  const pidfile = join(dir, 'redis.pid');
  let pid = 0;

  const launch = async (port: number): Promise<void> => {
    rmSync(pidfile, { force: true });
    await new Promise<void>((resolve, reject) => {
      execFile(
        server,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', pidfile, '--dir', dir, '--logfile', join(dir, 'redis.log')],
        (error) => (error ? reject(error) : resolve()),
      );
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await ping(port)) {
        pid = Number(readFileSync(pidfile, 'utf8').trim());
        return;
      }
      await sleep(10);
    }
    try {
      const started = Number(readFileSync(pidfile, 'utf8').trim());
      if (started && isAlive(started)) process.kill(started, 'SIGKILL');
    } catch {
      // no pidfile: nothing started
    }
    throw new Error(`redis-server on port ${port} did not answer PING`);
  };

  const kill = async () => {
    if (!pid || !isAlive(pid)) return;
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(5);
  };

  let lastError: unknown = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      await launch(port);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        kill,
        restart: () => launch(port),
        async stop() {
          await kill();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error; // the port was most likely taken in the meantime
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/**
 * A TCP relay to `port` on 127.0.0.1 that a test can cut: `block()` drops every connection through
 * it and refuses new ones (the client behind it sees Redis unreachable) until `unblock()`.
 */
export type TcpRelay = { url: string; block(): void; unblock(): void; close(): Promise<void> };

export async function startTcpRelay(port: number): Promise<TcpRelay> {
  let blocked = false;
  const sockets = new Set<Socket>();
  const relay = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (blocked) return void socket.destroy();
    const upstream = connectTcp(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const relayPort = (relay.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${relayPort}`,
    block() {
      blocked = true;
      for (const socket of sockets) socket.destroy();
    },
    unblock() {
      blocked = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, freePort, isAlive, ping, REDIS_SERVER } from './redisServer';

export const REDIS_CLI = findOnPath('redis-cli');
/** Whether the Redis Cluster tests can run: they need both `redis-server` and `redis-cli`. */
export const hasRedisCluster = REDIS_SERVER !== null && REDIS_CLI !== null;

/** Call at the top of a Redis Cluster test file, next to `describe.skipIf(!hasRedisCluster)`. */
export function warnIfRedisClusterMissing(): void {
  if (!hasRedisCluster) {
    console.warn(
      `REDIS CLUSTER TESTS SKIPPED: ${REDIS_SERVER ? '' : 'redis-server '}${REDIS_CLI ? '' : 'redis-cli '}not installed (not on PATH). Install them with \`apt-get install -y redis-server\` (it brings redis-tools); CI always has them.`,
    );
  }
}

export type RedisClusterNode = { url: string; port: number; busPort: number };
export type RedisCluster = { nodes: RedisClusterNode[]; stop(): Promise<void> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(file: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    );
  });
}

async function killPid(pid: number): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < until) await sleep(20);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Distinct free ports of 127.0.0.1 (client ports and cluster-bus ports: the default bus port, port + 10 000, may not exist). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Starts a throw-away Redis Cluster of `size` masters (no replicas) on free ports of 127.0.0.1:
 * one daemonized `redis-server --cluster-enabled yes` per node (no persistence, its own
 * `nodes-<port>.conf`, pidfile and log in one temp dir, and an explicit `--cluster-port` for the
 * bus), joined with `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`. Resolves once
 * every node's `CLUSTER INFO` says `cluster_state:ok`, all 16384 slots ok and knows every node.
 * `stop()` kills those pids and only those, then removes the temp dir.
 */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const server = REDIS_SERVER;
  const cli = REDIS_CLI;
  if (!server || !cli) throw new Error('redis-server or redis-cli is not installed');
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'rms-redis-cluster-'));
    const pids: number[] = [];
    const stopAll = async () => {
      await Promise.all(pids.map((pid) => killPid(pid)));
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      const ports = await freePorts(size * 2);
      const nodes: RedisClusterNode[] = Array.from({ length: size }, (_, i) => ({
        url: `redis://127.0.0.1:${ports[i]}`,
        port: ports[i]!,
        busPort: ports[size + i]!,
      }));
      await Promise.all(
        nodes.map(async ({ port, busPort }) => {
          const pidfile = join(dir, `redis-${port}.pid`);
          await run(server, [
            '--port', String(port),
            '--cluster-port', String(busPort),
            '--bind', '127.0.0.1',
            '--cluster-enabled', 'yes',
            '--cluster-config-file', join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout', '5000',
            '--save', '',
            '--appendonly', 'no',
            '--daemonize', 'yes',
            '--pidfile', pidfile,
            '--dir', dir,
            '--logfile', join(dir, `redis-${port}.log`),
          ]);
          const deadline = Date.now() + 10_000;
          while (Date.now() < deadline) {
            if (await ping(port)) {
              pids.push(Number(readFileSync(pidfile, 'utf8').trim()));
              return;
            }
            await sleep(25);
          }
          // Started but never answered (another process took the port?): remember its pid to kill it.
          try {
            pids.push(Number(readFileSync(pidfile, 'utf8').trim()));
          } catch {
            // no pidfile: nothing started
          }
          throw new Error(`redis-server (cluster node) on port ${port} did not answer PING`);
        }),
      );
      await run(cli, ['--cluster', 'create', ...nodes.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], 30_000);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const infos = await Promise.all(nodes.map(({ port }) => run(cli, ['-h', '127.0.0.1', '-p', String(port), 'CLUSTER', 'INFO']).catch(() => '')));
        const healthy = infos.every(
          (info) => /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && new RegExp(`cluster_known_nodes:${size}\\b`).test(info),
        );
        if (healthy) break;
        if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok:\n${infos.join('\n---\n')}`);
        await sleep(50);
      }
      return { nodes, stop: stopAll };
    } catch (error) {
      lastError = error; // most likely a port was taken in the meantime: try other ports
      await stopAll();
    }
  }
  throw lastError;
}

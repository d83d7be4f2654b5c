// Starts bench/server/child.mjs as a child process and talks to it over the IPC channel.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Epoch milliseconds with sub-millisecond resolution; the child reports its times the same way. */
export const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Forks the server process (with --expose-gc, so its memory can be measured after a collection)
 * and resolves once it listens. `call(type, args)` sends a control command and resolves with its
 * answer.
 */
export async function startServerProcess() {
  const child = fork(join(here, 'child.mjs'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 0;
  let exited = false;
  child.on('exit', (code) => {
    exited = true;
    for (const { reject } of pending.values()) reject(new Error(`the server process exited (code ${code})`));
    pending.clear();
  });
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message) => {
      if (message.ready) {
        resolve(message);
        return;
      }
      const entry = pending.get(message.id);
      if (!entry) return;
      pending.delete(message.id);
      if ('error' in message) entry.reject(new Error(`server process: ${message.error}`));
      else entry.resolve(message.result);
    });
  });
  const { port, pid } = await Promise.race([
    ready,
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`the server process exited before listening (code ${code})`))),
  ]);

  const call = (type, args = {}) =>
    new Promise((resolve, reject) => {
      if (exited) {
        reject(new Error('the server process is gone'));
        return;
      }
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      child.send({ id, type, ...args });
    });

  return {
    base: `http://127.0.0.1:${port}`,
    pid,
    call,
    /**
     * The child's clock against ours, from the ping with the shortest round trip: `offsetMs` is
     * (child epoch − our epoch); both use performance.timeOrigin + now(), so it should be ~0.
     */
    async clockOffset(pings = 20) {
      let best = null;
      for (let i = 0; i < pings; i++) {
        const t0 = epochNow();
        const { epoch } = await call('ping');
        const t1 = epochNow();
        if (!best || t1 - t0 < best.rttMs) best = { rttMs: t1 - t0, offsetMs: epoch - (t0 + t1) / 2 };
      }
      return best;
    },
    async close() {
      if (exited) return;
      const gone = once(child, 'exit');
      await Promise.race([call('close').catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      if (!exited) child.kill();
    },
  };
}

import { createStreamSession, type StreamSessionOptions } from '../../src/core/createStreamSession';
import { part } from '../helpers/sse';

// Shared bits of the fault-injection tests (see docs/RELIABILITY.md).

export { part, SSE_HEADERS as SSE } from '../helpers/sse';
export const textPart = (delta: string) => part({ type: 'text-delta', id: 't1', delta });
export const START = part({ type: 'start', messageId: 'msg-1' }) + part({ type: 'text-start', id: 't1' });
export const FINISH = part({ type: 'text-end', id: 't1' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n';

/**
 * A session with sync notifications; `start()` raced against a generous bound so a stuck session
 * fails the test with a clear message instead of a test timeout.
 */
export async function run(options: StreamSessionOptions, boundMs = 15_000) {
  const session = createStreamSession({ throttle: false, ...options });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`session stuck in '${session.getSnapshot().status}' after ${boundMs} ms`)), boundMs);
  });
  try {
    const final = await Promise.race([session.start(), stuck]);
    return { session, final };
  } finally {
    clearTimeout(timer);
  }
}

// ---- keep-alive scenarios (keepalive.test.ts, keepalive.hook.test.tsx) ----------------------------

/** One SSE keep-alive comment. */
export const KEEPALIVE_COMMENT = ': keep-alive\n\n';
/** Fake time between keep-alives, and the idle bound they stay under. */
export const KEEPALIVE_GAP_MS = 15_000;
export const KEEPALIVE_IDLE_MS = 20_000;
/** Real-time bound on waiting for bytes to cross the socket (a loaded 2-core box; normally < 5 ms). */
const IO_BOUND_MS = 10_000;

/**
 * Polls until `done()`, one real `setImmediate` per turn (fake timers leave it alone), bounded in
 * real time. `turn` wraps each turn (e.g. in React's `act`).
 */
export async function pollUntil(done: () => boolean, what: string, turn: (step: () => Promise<void>) => Promise<void> = (step) => step()): Promise<void> {
  const end = performance.now() + IO_BOUND_MS;
  while (!done()) {
    if (performance.now() > end) throw new Error(`${what}: not after ${IO_BOUND_MS} ms (real time)`);
    await turn(() => new Promise((resolve) => setImmediate(resolve)));
  }
}

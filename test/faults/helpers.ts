import { createStreamSession, type StreamSessionOptions } from '../../src/core/createStreamSession';

// Shared bits of the fault-injection tests (first increment of the hardening issue; see docs/RELIABILITY.md).

/** One AI SDK UI message stream part as an SSE event. */
export const part = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
export const textPart = (delta: string) => part({ type: 'text-delta', id: 't1', delta });
export const START = part({ type: 'start', messageId: 'msg-1' }) + part({ type: 'text-start', id: 't1' });
export const FINISH = part({ type: 'text-end', id: 't1' }) + part({ type: 'finish', finishReason: 'stop' }) + 'data: [DONE]\n\n';
export const SSE = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

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

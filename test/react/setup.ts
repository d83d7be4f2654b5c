import { afterAll, afterEach, beforeAll, beforeEach, expect, vi, type MockInstance } from 'vitest';

/**
 * Fails the test when anything calls `console.error` or `console.warn`: React reports its
 * warnings there (act(...) warnings, key warnings, updates on unmounted components, bad props),
 * and so does the library for errors it swallows. Call once at the top of a test file, *before*
 * registering the file's own `afterEach` (vitest runs `afterEach` hooks in reverse order, so this
 * check then runs after the file's cleanup and also catches warnings emitted while unmounting).
 *
 * The calls are recorded rather than thrown: a throw inside React's `console.error` could be
 * swallowed or change what React does next.
 *
 * It also sets `IS_REACT_ACT_ENVIRONMENT = true` for the file, which is what makes React report
 * an update outside `act(...)` at all. @testing-library/react sets it only through a global
 * `beforeAll`, and vitest globals are off here, so without this act warnings would never appear
 * (and this check would pass vacuously). RTL's `waitFor` still turns it off while it polls.
 *
 * @example
 * ```ts
 * failOnConsole();
 * afterEach(() => cleanup());
 * ```
 */
export function failOnConsole(): void {
  let error: MockInstance<typeof console.error> | null = null;
  let warn: MockInstance<typeof console.warn> | null = null;
  const scope = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
  let previousActEnvironment: boolean | undefined;
  beforeAll(() => {
    previousActEnvironment = scope.IS_REACT_ACT_ENVIRONMENT;
    scope.IS_REACT_ACT_ENVIRONMENT = true;
  });
  afterAll(() => {
    scope.IS_REACT_ACT_ENVIRONMENT = previousActEnvironment;
  });
  beforeEach(() => {
    error = vi.spyOn(console, 'error');
    warn = vi.spyOn(console, 'warn');
  });
  afterEach(() => {
    const calls = [
      ...(error?.mock.calls ?? []).map((args) => `console.error: ${args.map(String).join(' ')}`),
      ...(warn?.mock.calls ?? []).map((args) => `console.warn: ${args.map(String).join(' ')}`),
    ];
    error?.mockRestore();
    warn?.mockRestore();
    error = warn = null;
    expect(calls, 'no console.error / console.warn (React warnings included)').toEqual([]);
  });
}

/** `waitFor` options for eventual things over a real network on a loaded machine. */
export const WAIT = { timeout: 10_000, interval: 10 } as const;

export { part, SSE_HEADERS } from '../helpers/sse';

/** The position of `event` in a test server's event log; fails with the whole log when it is missing. */
export function indexOfEvent(events: readonly string[], event: string): number {
  const index = events.indexOf(event);
  expect(index, `${event} in ${JSON.stringify(events)}`).toBeGreaterThanOrEqual(0);
  return index;
}

/**
 * A `NotifyScheduler` the test flushes by hand: the stream session queues its one pending
 * notification here instead of waiting for an animation frame.
 */
export function createManualScheduler() {
  const queue: (() => void)[] = [];
  const scheduler = (flush: () => void) => {
    queue.push(flush);
    return () => {
      const index = queue.indexOf(flush);
      if (index >= 0) queue.splice(index, 1);
    };
  };
  return {
    scheduler,
    /** How many notifications are waiting. */
    pending: () => queue.length,
    /** Runs every waiting notification (what one animation frame would do). */
    flush: () => {
      for (const run of queue.splice(0)) run();
    },
  };
}

/**
 * A `fetch` that hands the response body to the caller chunk by chunk, only when it asks for the
 * next one (a pull stream with no buffer). When the reader asks for chunk k+1, it has finished
 * handling chunk k — the stream session decodes and applies a chunk synchronously before its next
 * `read()` — so `consumed()` is exactly the text the session has applied.
 */
export function createConsumptionTrackingFetch() {
  const utf8 = new TextDecoder();
  let delivered = '';
  let consumed = '';
  const trackingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    const inner = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          consumed = delivered;
          const { done, value } = await inner.read();
          if (done) {
            controller.close();
            return;
          }
          delivered += utf8.decode(value, { stream: true });
          controller.enqueue(value);
        },
        cancel(reason) {
          return inner.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: trackingFetch, consumed: () => consumed };
}

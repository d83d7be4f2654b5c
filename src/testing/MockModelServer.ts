import type { HttpHandler } from 'msw';
import type { InMemoryStreamRegistry } from '../server/createStreamRegistry';
import type { MockModelServerOptions } from './MockModelServerOptions';
import type { MockCancelRequest, MockStreamRequest } from './createRecorder';

/**
 * A mock model server; see {@link createMockModelServer}.
 *
 * @example
 * ```ts
 * const server = setupServer(...model.handlers); // msw/node
 * afterEach(() => model.reset());
 * ```
 */
export type MockModelServer = {
  /**
   * MSW request handlers for the stream and cancel endpoints (`msw/node`'s `setupServer`,
   * `msw/browser`'s `setupWorker`, Storybook's `parameters.msw.handlers`).
   */
  readonly handlers: HttpHandler[];
  /**
   * A `fetch` that serves the two endpoints with no MSW (pass it as `useModelStream`'s `fetch`).
   * It behaves as the platform's: it rejects on a network error or an aborted signal, and an abort
   * errors the body being read. Other URLs answer 404.
   */
  readonly fetch: typeof fetch;
  /** The server itself: answers a stream or cancel request, or `null` for any other URL. */
  handle(request: Request): Promise<Response | null>;
  /** The stream endpoint, for `useModelStream({ api })`. */
  readonly api: string;
  /** The cancel endpoint, for `useModelStream({ cancelApi })`. */
  readonly cancelApi: string;
  /** Every stream request so far, oldest first. */
  readonly requests: readonly MockStreamRequest[];
  /** Every cancel request so far, oldest first. */
  readonly cancels: readonly MockCancelRequest[];
  /** The stream registry shared by the two endpoints (`counts()`: streams still live…). */
  readonly registry: InMemoryStreamRegistry;
  /**
   * Resolves with the stream request once the server has answered it, its model started (so its
   * pace and faults run from now on): stream request `index`, by default the next one not yet
   * awaited this way. With fake timers, await it before advancing the clock: some work before the
   * model starts (hashing the cancel secret, MSW's own) is real asynchronous work that
   * `vi.advanceTimersByTimeAsync` does not wait for.
   *
   * @example
   * ```ts
   * void chat.start('Hi');
   * await model.streamStarted();
   * await vi.advanceTimersByTimeAsync(100); // one more token at pace 100
   * ```
   */
  streamStarted(index?: number): Promise<MockStreamRequest>;
  /**
   * Resolves with the cancel request once it has been answered (or failed as a network error):
   * cancel request `index`, by default the next one not yet awaited this way. As for
   * {@link MockModelServer.streamStarted}, the answer involves real asynchronous work after any
   * `delayMs`, so await this rather than a fixed number of fake milliseconds.
   *
   * @example
   * ```ts
   * await user.click(screen.getByRole('button', { name: 'Stop generating' }));
   * expect((await model.cancelAnswered()).answer).toMatchObject({ status: 'cancelled' });
   * ```
   */
  cancelAnswered(index?: number): Promise<MockCancelRequest>;
  /** Changes options for the streams and cancels that start from now on (e.g. `{ faults: { … } }`). */
  update(options: Omit<MockModelServerOptions, 'api' | 'cancelApi'>): void;
  /** Back to the options given at creation; forgets the requests and cancels seen. */
  reset(): void;
};

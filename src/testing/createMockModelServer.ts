import { http, type HttpHandler } from 'msw';
import type { Protocol } from '../core/types';
import { createStreamRegistry, type InMemoryStreamRegistry } from '../server/createStreamRegistry';
import { createFakeModel, DEFAULT_FAKE_SCRIPT, type FakeModelRun, type FakeModelScript } from '../server/fakeModel/createFakeModel';
import { handleCancel } from '../server/handleCancel';
import { handleModelStream } from '../server/handleModelStream';

/**
 * What the model answers: a fixed script, or one chosen per request (e.g. from the prompt).
 *
 * @example
 * ```ts
 * createMockModelServer({ script: { reasoning: 'Short answer.', text: 'Yes.', inputTokens: 3, outputTokens: 2 } });
 * createMockModelServer({ script: ({ body }) => ({ text: `You said: ${(body as { input: string }).input}` }) });
 * ```
 */
export type MockScript = FakeModelScript | ((request: { body: unknown; index: number }) => FakeModelScript);

/**
 * How the cancel endpoint misbehaves. Without it, cancels go to the real `handleCancel`: the
 * model stops and the answer is `200 {"status":"cancelled","usage":…}`.
 * - `{ delayMs }`: a slow cancel, answered (for real) `delayMs` after it arrived; the model keeps
 *   generating meanwhile.
 * - `{ status, body? }`: a failing cancel, answered with that HTTP status (after `delayMs`, if
 *   any); the stream is not stopped by it.
 * - `'hang'`: never answered (until the client aborts the cancel request).
 * - `'network-error'`: the cancel request fails as on a network error (`fetch` rejects).
 *
 * @example
 * ```ts
 * model.update({ faults: { stall: { afterTokens: 2 }, cancel: { delayMs: 1_000 } } }); // slow, then confirmed
 * model.update({ faults: { stall: { afterTokens: 2 }, cancel: { status: 503 } } }); // serverConfirmed: false
 * ```
 */
export type MockCancelFault = { delayMs?: number; status?: number; body?: unknown } | 'hang' | 'network-error';

/**
 * Faults on demand, for every stream started while they are set. Positions count **tokens** as the
 * wire format carries them, one chunk each: a piece of reasoning, of text (a word with its leading
 * space, see `tokenize`) or of tool arguments (8 characters, or your `argsFragments`); plain text
 * carries only the text. All times are `setTimeout`s, so fake timers drive them.
 *
 * @example
 * ```ts
 * createMockModelServer({ faults: { http: 429 } }); // the provider refused
 * createMockModelServer({ faults: { stall: { afterTokens: 0, ms: 5_000 } } }); // a slow first byte
 * createMockModelServer({ script: { text: 'One two three four' }, faults: { drop: { afterTokens: 2 } } }); // "One two", then cut
 * ```
 */
export type MockModelFaults = {
  /** Answer this HTTP status instead of streaming (the provider refused), with `body` (JSON, or a string as is). */
  http?: number | { status: number; body?: unknown; headers?: Record<string, string> };
  /** The stream request fails as on a network error: `fetch` rejects. */
  networkError?: boolean;
  /**
   * The model stalls after `afterTokens` tokens (`0`: before the first byte, the headers already
   * sent): the next token comes `ms` later than the pace says, then the rest at the pace; without
   * `ms`, nothing more until the stream is cancelled or the client goes away.
   */
  stall?: { afterTokens: number; ms?: number };
  /**
   * The connection drops after `afterTokens` tokens: the response body errors (`TypeError:
   * network error`) as a cut connection does. The server sees a disconnect, and the model stops
   * generating. The finish comes in one more chunk after the last token (except in plain text), so
   * `afterTokens` = the answer's token count drops it just before the finish.
   */
  drop?: { afterTokens: number };
  /** How the cancel endpoint misbehaves; see {@link MockCancelFault}. */
  cancel?: MockCancelFault;
};

/**
 * Options of {@link createMockModelServer}.
 *
 * @example
 * ```ts
 * createMockModelServer({ protocol: 'anthropic', pace: 20, api: 'https://api.example.com/chat', cancelApi: 'https://api.example.com/cancel' });
 * ```
 */
export type MockModelServerOptions = {
  /** The answer. Default: the fake model's demo answer (reasoning, text, a tool call, usage). */
  script?: MockScript;
  /** The wire format to answer in. Default `'ai-sdk'`. */
  protocol?: Protocol;
  /** Milliseconds between two tokens (the first goes out at once). Default 0: all at once. */
  pace?: number;
  /** Faults on demand; see {@link MockModelFaults}. Default: none. */
  faults?: MockModelFaults;
  /** The stream endpoint: a path (any origin) or an absolute URL. Default `'/api/chat'`. */
  api?: string;
  /** The cancel endpoint: a path (any origin) or an absolute URL. Default `'/api/chat/cancel'`. */
  cancelApi?: string;
};

/**
 * A stream request the server received. Its fields fill in as the stream runs.
 *
 * @example
 * ```ts
 * expect(model.requests[0]).toMatchObject({ body: { input: 'Hi' }, status: 200, run: { tokensAfterAbort: 0 } });
 * ```
 */
export type MockStreamRequest = {
  /** 0 for the first stream request, 1 for the next… */
  readonly index: number;
  readonly url: string;
  readonly headers: Headers;
  /** The request body: parsed JSON, else the text, else `null`. */
  readonly body: unknown;
  /** The client's `x-stream-id`. */
  readonly streamId: string | null;
  /** The HTTP status answered, once answered (`null` for a network error). */
  status: number | null;
  /**
   * The model's side of it, once the model was called: tokens generated, `abortedAt`,
   * `tokensAfterAbort` (0 when the model stopped at the cancel), `finished`. `null` when the model
   * was never called (an HTTP error, a cancel that came first).
   */
  run: FakeModelRun | null;
};

/**
 * A cancel request the server received.
 *
 * @example
 * ```ts
 * expect(model.cancels).toEqual([expect.objectContaining({ status: 200, answer: expect.objectContaining({ status: 'cancelled' }) })]);
 * ```
 */
export type MockCancelRequest = {
  readonly index: number;
  /** The `streamId` of the body, when it had one. */
  readonly streamId: string | null;
  /** The HTTP status answered, once answered (`null` while hanging or for a network error). */
  status: number | null;
  /** The JSON answered (`{ status: 'cancelled', usage, usageEstimated }`, …), once answered. */
  answer: unknown;
};

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

const NETWORK_ERROR_MESSAGE = 'network error';

const HTTP_ERROR_BODIES: Record<number, unknown> = {
  400: { error: { message: 'Invalid request (mock).', type: 'invalid_request_error' } },
  401: { error: { message: 'Incorrect API key provided (mock).', type: 'authentication_error' } },
  429: { error: { message: 'Rate limit reached for requests. Please try again in 20s (mock).', type: 'rate_limit_error' } },
  500: { error: { message: 'The model server had an internal error (mock).', type: 'server_error' } },
  503: { error: { message: 'The model is overloaded. Please try again later (mock).', type: 'overloaded_error' } },
};

const noop = () => {};

/** Resolves after `ms` (never when `ms` is `undefined` or infinite), or as soon as `signal` aborts. */
function wait(ms: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = ms !== undefined && Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A JSON answer (a string body is sent as is). */
function answer(status: number, body: unknown, headers?: Record<string, string>): Response {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? { error: { message: `HTTP ${status} (mock).` } });
  return new Response(text, { status, headers: { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers } });
}

/** `response` with its body passed through `body`; status and headers kept. */
function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * `response` with a connection that drops after `afterTokens` chunks (one token each): its body is
 * pulled one chunk at a time, and the next pull errors it as a cut connection does, and cancels the
 * server's body (which the server takes as the client going away).
 */
function dropAfter(response: Response, afterTokens: number): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  let sent = 0;
  return withBody(
    response,
    new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (sent >= afterTokens) {
            const failure = new TypeError(NETWORK_ERROR_MESSAGE);
            reader.cancel(failure).catch(noop);
            controller.error(failure);
            return;
          }
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else {
              sent++;
              controller.enqueue(value);
            }
          } catch (error) {
            controller.error(error);
          }
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    ),
  );
}

/** The response as the platform's `fetch` gives it: an abort of `signal` errors the body being read. */
function abortable(response: Response, signal: AbortSignal): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  let onAbort = noop;
  return withBody(
    response,
    new ReadableStream<Uint8Array>(
      {
        start(controller) {
          onAbort = () => {
            try {
              controller.error(signal.reason);
            } catch {
              // already closed
            }
            reader.cancel(signal.reason).catch(noop);
          };
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        },
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (signal.aborted) return;
            if (done) {
              signal.removeEventListener('abort', onAbort);
              controller.close();
            } else controller.enqueue(value);
          } catch (error) {
            signal.removeEventListener('abort', onAbort);
            if (!signal.aborted) controller.error(error);
          }
        },
        cancel(reason) {
          signal.removeEventListener('abort', onAbort);
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    ),
  );
}

/** Promises per index, resolved by the server or asked for first by a test; `next()` walks them in order. */
function createMilestones<T>() {
  const byIndex = new Map<number, { promise: Promise<T>; resolve: (value: T) => void }>();
  let awaited = 0;
  const of = (index: number) => {
    let entry = byIndex.get(index);
    if (!entry) {
      let resolve!: (value: T) => void;
      const promise = new Promise<T>((r) => (resolve = r));
      byIndex.set(index, (entry = { promise, resolve }));
    }
    return entry;
  };
  return { of, next: (index?: number) => of(index ?? awaited++).promise };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches `endpoint` (a path: on any origin; or an absolute URL), ignoring the query string. */
function endpointMatcher(endpoint: string): { test(url: string): boolean; msw: string | RegExp } {
  if (/^[a-z][a-z0-9+.-]*:/i.test(endpoint)) {
    const target = new URL(endpoint);
    return {
      test: (url) => {
        const u = new URL(url);
        return u.origin === target.origin && u.pathname === target.pathname;
      },
      msw: `${target.origin}${target.pathname}`,
    };
  }
  const path = endpoint.startsWith('/') ? endpoint : `/${endpoint}`;
  return {
    test: (url) => new URL(url).pathname === path,
    // A path alone would be resolved against `location` by MSW, and match nothing in Node.
    msw: new RegExp(`^[a-z][a-z0-9+.-]*://[^/?#]+${escapeRegExp(path)}(?:[?#].*)?$`, 'i'),
  };
}

/** `input` as an absolute URL: relative ones against `location` (jsdom, browsers) or `http://localhost/`. */
function absoluteUrl(input: string | URL): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href ?? 'http://localhost/';
  return new URL(input, base).href;
}

/**
 * A model server for tests of your own chat UI, with no model and no network: it answers a
 * scripted answer (reasoning, text, tool calls with their arguments in fragments, usage) in any of
 * the six wire formats, at a pace you choose, with a cancel endpoint that really works — it is
 * `handleModelStream` and `handleCancel` over the deterministic fake model of
 * `react-model-stream/server` — and faults on demand (an HTTP error, a stall, a dropped
 * connection, a slow, failing or hanging cancel). Serve it through MSW (`handlers`) or pass its
 * `fetch` to `useModelStream`. Everything it does is recorded (`requests`, `cancels`), and every
 * delay is a `setTimeout`, so fake timers drive it.
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node';
 * import { createMockModelServer } from 'react-model-stream/testing';
 *
 * const model = createMockModelServer({
 *   protocol: 'openai-chat',
 *   script: { text: 'Hello there!', toolCalls: [{ name: 'search', argsFragments: ['{"q":', '"tra', 'ins"}'] }], inputTokens: 12 },
 *   faults: { stall: { afterTokens: 2 } }, // "Hello there!" then the model thinks until Stop
 * });
 * const server = setupServer(...model.handlers);
 * // useModelStream({ api: model.api, cancelApi: model.cancelApi }) — or, with no MSW:
 * // useModelStream({ api: model.api, cancelApi: model.cancelApi, fetch: model.fetch })
 * ```
 */
export function createMockModelServer(options: MockModelServerOptions = {}): MockModelServer {
  const api = options.api ?? '/api/chat';
  const cancelApi = options.cancelApi ?? '/api/chat/cancel';
  const streamEndpoint = endpointMatcher(api);
  const cancelEndpoint = endpointMatcher(cancelApi);
  const initial: Omit<MockModelServerOptions, 'api' | 'cancelApi'> = { script: options.script, protocol: options.protocol, pace: options.pace, faults: options.faults };
  let current = { ...initial };
  const registry = createStreamRegistry();
  const model = createFakeModel();
  let requests: MockStreamRequest[] = [];
  let cancels: MockCancelRequest[] = [];
  let streamCount = 0;
  let cancelCount = 0;
  /** Per stream index: its start; per cancel index: its answer. Promises resolved by the server (or first asked for by a test). */
  let starts = createMilestones<MockStreamRequest>();
  let answers = createMilestones<MockCancelRequest>();
  const startOf = (index: number) => starts.of(index);

  const readBody = async (request: Request | Response): Promise<unknown> => {
    const text = await request
      .clone()
      .text()
      .catch(() => '');
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };

  const serveStream = async (request: Request): Promise<Response> => {
    const { script, protocol = 'ai-sdk', pace = 0, faults = {} } = current;
    const record: MockStreamRequest = {
      index: streamCount++,
      url: request.url,
      headers: new Headers(request.headers),
      body: await readBody(request),
      streamId: request.headers.get('x-stream-id'),
      status: null,
      run: null,
    };
    requests.push(record);
    if (faults.networkError) {
      startOf(record.index).resolve(record);
      return Response.error();
    }

    const chosen = typeof script === 'function' ? script({ body: record.body, index: record.index }) : (script ?? DEFAULT_FAKE_SCRIPT);
    const upstream = (signal: AbortSignal): Response => {
      if (faults.http !== undefined) {
        const http = typeof faults.http === 'number' ? { status: faults.http } : faults.http;
        return answer(http.status, http.body ?? HTTP_ERROR_BODIES[http.status], http.headers);
      }
      // Plain text carries only the text: the rest would be tokens with no bytes, which would make
      // the fault positions count differently in this format.
      const sent = protocol === 'text' ? { ...chosen, reasoning: undefined, toolCalls: undefined } : chosen;
      const response = model.stream(signal, { protocol, intervalMs: pace, script: sent, stall: faults.stall });
      record.run = model.runs[model.runs.length - 1] ?? null;
      return response;
    };

    let response = await handleModelStream(request, { registry, protocol, upstream });
    const drop = faults.drop;
    if (drop && response.ok) response = dropAfter(response, drop.afterTokens);
    record.status = response.status;
    startOf(record.index).resolve(record);
    return response;
  };

  const serveCancel = async (request: Request): Promise<Response> => {
    const fault = current.faults?.cancel;
    const body = await readBody(request);
    const streamId = typeof (body as { streamId?: unknown } | null)?.streamId === 'string' ? (body as { streamId: string }).streamId : null;
    const record: MockCancelRequest = { index: cancelCount++, streamId, status: null, answer: undefined };
    cancels.push(record);
    const failed = () => {
      answers.of(record.index).resolve(record);
      return Response.error();
    };
    if (fault === 'network-error') return failed();
    if (fault === 'hang') {
      await wait(undefined, request.signal);
      return failed();
    }
    if (fault?.delayMs !== undefined) {
      await wait(fault.delayMs, request.signal);
      if (request.signal.aborted) return failed();
    }
    const response =
      fault?.status !== undefined
        ? answer(fault.status, fault.body ?? HTTP_ERROR_BODIES[fault.status])
        : await handleCancel(request, { registry, rateLimit: false });
    record.status = response.status;
    record.answer = await readBody(response);
    answers.of(record.index).resolve(record);
    return response;
  };

  const handle = async (request: Request): Promise<Response | null> => {
    if (request.method === 'POST' && cancelEndpoint.test(request.url)) return serveCancel(request);
    if (streamEndpoint.test(request.url)) return serveStream(request);
    return null;
  };

  const mockFetch: typeof fetch = async (input, init) => {
    const request = new Request(input instanceof Request ? input : absoluteUrl(input), init);
    const { signal } = request;
    if (signal.aborted) throw signal.reason;
    const response = await new Promise<Response | null>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      handle(request).then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
    if (response === null) return answer(404, { error: `The mock model server serves ${api} and ${cancelApi}, not ${request.url}.` });
    if (response.type === 'error') throw new TypeError('Failed to fetch');
    return abortable(response, signal);
  };

  const resolver = async ({ request }: { request: Request }) => (await handle(request)) ?? undefined;
  const handlers = [http.post(cancelEndpoint.msw, resolver), http.all(streamEndpoint.msw, resolver)];

  return {
    handlers,
    fetch: mockFetch,
    handle,
    api,
    cancelApi,
    get requests() {
      return requests;
    },
    get cancels() {
      return cancels;
    },
    registry,
    streamStarted(index) {
      return starts.next(index);
    },
    cancelAnswered(index) {
      return answers.next(index);
    },
    update(next) {
      current = { ...current, ...next };
    },
    reset() {
      current = { ...initial };
      requests = [];
      cancels = [];
      streamCount = 0;
      cancelCount = 0;
      starts = createMilestones();
      answers = createMilestones();
    },
  };
}

import type { Protocol } from '../core/types';
import type { FakeModelScript } from '../server/fakeModel/createFakeModel';

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

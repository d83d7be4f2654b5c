import type { FinishReason, Protocol } from '../../core/types';
import { createDetachedBody, type DetachedGeneration } from './createDetachedBody';
import { createPacedBody } from './createPacedBody';
import { createWireEncoder } from './createWireEncoder';
import { scriptSteps } from './scriptSteps';

export { tokenize } from './tokenize';

/** What the fake model answers. */
export type FakeModelScript = {
  reasoning?: string;
  text?: string;
  /**
   * Tool calls, streamed after the text. `args` is sent as JSON (a string is sent as is), in
   * pieces of 8 characters, or in exactly the pieces of `argsFragments` when given (joined, they
   * are the arguments' text; `args` is then ignored).
   */
  toolCalls?: { id?: string; name: string; args?: unknown; argsFragments?: readonly string[] }[];
  /** Input tokens reported in the usage. Default: 0. */
  inputTokens?: number;
  /** Output tokens reported in the usage. Default: the tokens generated (text, reasoning and argument pieces). */
  outputTokens?: number;
  /** Default: `tool-calls` when there are tool calls, else `stop`. */
  finishReason?: FinishReason;
  /** Report this error inside the stream after the text, instead of finishing. */
  error?: string;
};

export type FakeModelOptions = {
  /** The wire format to speak. Default `'ai-sdk'`. */
  protocol?: Protocol;
  /** Pace, in tokens per second (0 or Infinity: as fast as possible). Default 50. */
  tokensPerSecond?: number;
  /**
   * Pace as the delay between two tokens, in milliseconds (0: as fast as possible); when given it
   * wins over `tokensPerSecond`. Exact with fake timers (`1000 / tokensPerSecond` may not be).
   */
  intervalMs?: number;
  /**
   * Stalls the model after `afterTokens` tokens (`0`: before its first byte): the next token comes
   * `ms` later than the pace says, or never when `ms` is omitted (until the signal aborts).
   */
  stall?: { afterTokens: number; ms?: number };
  /** What to answer. Default: a short answer about coffee with one tool call. */
  script?: FakeModelScript;
  /** Response / message id. Default: a counter. */
  id?: string;
  /**
   * Generate like a provider's background response (OpenAI `background: true`): aborting the
   * signal, or the reader going away, only detaches the reader, and the model keeps generating
   * (each token still counted in its run) until its script ends or `cancel(responseId)` stops it,
   * as the provider's `POST /v1/responses/{id}/cancel` does. Default `false`: the signal stops it.
   */
  detached?: boolean;
};

/** What one run of the fake model did: for tests and figures ("tokens generated after stop"). */
export type FakeModelRun = {
  readonly id: string;
  readonly protocol: Protocol;
  /** Tokens generated so far (text, reasoning and tool-argument pieces). */
  tokens: number;
  /** `performance.now()` of each generated token. */
  tokenTimes: number[];
  /** When the abort signal fired (performance.now()), or `null`. */
  abortedAt: number | null;
  /** Tokens generated after the abort signal fired (0 when the model honours its signal). */
  tokensAfterAbort: number;
  /** The whole script was sent. */
  finished: boolean;
  /** When `cancel(id)` stopped this run (`detached` only), or `null`. */
  cancelledAt: number | null;
  /** Tokens generated after `cancel(id)` stopped this run (0 when the cancel stops it at once). */
  tokensAfterCancel: number;
};

export type FakeModel = {
  /**
   * Starts one answer and returns it as a streaming `Response`, as a provider's `fetch` would.
   * Aborting `signal` stops generation at once, the way a provider stops when its request is
   * aborted, and errors the body with the abort reason.
   */
  stream(signal?: AbortSignal, overrides?: Omit<FakeModelOptions, 'id'> & { id?: string }): Response;
  /** Every run so far, oldest first. */
  readonly runs: readonly FakeModelRun[];
  /**
   * The provider-side cancel of a `detached` run, by its response id (the run's `id`, which the
   * stream carries: OpenAI's `response.id`, Anthropic's `message.id`, …): stops its generation at
   * once. `true` when a run with this id was generating; `false` otherwise (unknown, ended, or not
   * `detached`: such a run stops through its signal).
   */
  cancel(responseId: string): boolean;
};

export const DEFAULT_FAKE_SCRIPT: FakeModelScript = {
  reasoning: 'The user wants a coffee tip. Keep it short and practical, then look up beans nearby.',
  text:
    "Here's a quick tip: brew your café au lait with freshly ground beans, let the water rest thirty seconds off the boil, " +
    'then pour slowly in circles. Patience gives a smoother, sweeter cup ☕ every morning. Let me find a roaster near you.',
  toolCalls: [{ id: 'call_fake_roasters', name: 'find_roasters', args: { city: 'Genève', radius_km: 5, open_now: true, roast: ['light', 'medium'] } }],
  inputTokens: 42,
};

let counter = 0;

/** Milliseconds between two tokens: `intervalMs` when given, else from `tokensPerSecond` (0: as fast as possible). */
function paceInterval(intervalMs: number | undefined, tokensPerSecond: number): number {
  if (intervalMs !== undefined) return intervalMs > 0 && Number.isFinite(intervalMs) ? intervalMs : 0;
  return tokensPerSecond > 0 && Number.isFinite(tokensPerSecond) ? 1000 / tokensPerSecond : 0;
}

/**
 * A deterministic fake model for tests, the demo and Storybook: it streams a scripted answer —
 * reasoning, text, parallel tool calls with long arguments, usage — in any of the six wire formats
 * at a set pace, honours its abort signal, and records what it generated after the abort. Use it
 * as the `upstream` of `handleModelStream` to run the whole stack with no key and no network.
 *
 * @example
 * ```ts
 * const model = createFakeModel({ protocol: 'anthropic', tokensPerSecond: 50 });
 * export const POST = (request: Request) =>
 *   handleModelStream(request, { registry, upstream: (signal) => model.stream(signal) });
 * ```
 */
export function createFakeModel(options: FakeModelOptions = {}): FakeModel {
  const runs: FakeModelRun[] = [];
  /** The detached runs still generating (pruned as new ones start). */
  let generations: { run: FakeModelRun; generation: DetachedGeneration }[] = [];

  const stream: FakeModel['stream'] = (signal, overrides = {}) => {
    const protocol = overrides.protocol ?? options.protocol ?? 'ai-sdk';
    const tokensPerSecond = overrides.tokensPerSecond ?? options.tokensPerSecond ?? 50;
    const intervalMs = overrides.intervalMs ?? (overrides.tokensPerSecond === undefined ? options.intervalMs : undefined);
    const script = overrides.script ?? options.script ?? DEFAULT_FAKE_SCRIPT;
    const stall = overrides.stall ?? options.stall;
    const id = overrides.id ?? options.id ?? `fake${String(++counter).padStart(8, '0')}`;
    const wire = createWireEncoder(protocol, { id, inputTokens: script.inputTokens ?? 0 });
    const run: FakeModelRun = { id, protocol, tokens: 0, tokenTimes: [], abortedAt: null, tokensAfterAbort: 0, finished: false, cancelledAt: null, tokensAfterCancel: 0 };
    runs.push(run);

    const steps = scriptSteps(wire, script, run);
    const pace = { interval: paceInterval(intervalMs, tokensPerSecond), stall };
    let body: ReadableStream<Uint8Array>;
    if (overrides.detached ?? options.detached) {
      const generation = createDetachedBody(steps, run, pace, signal);
      generations = generations.filter(({ run: r }) => !r.finished && r.cancelledAt === null);
      generations.push({ run, generation });
      body = generation.body;
    } else body = createPacedBody(steps, run, pace, signal);

    const headers: Record<string, string> = { 'content-type': wire.contentType, 'cache-control': 'no-cache' };
    if (protocol === 'ai-sdk') headers['x-vercel-ai-ui-message-stream'] = 'v1';
    return new Response(body, { status: 200, headers });
  };

  return {
    stream,
    get runs() {
      return runs;
    },
    cancel(responseId) {
      let cancelled = false;
      for (const { run, generation } of generations) if (run.id === responseId && generation.cancel()) cancelled = true;
      return cancelled;
    },
  };
}

import type { FinishReason, Protocol } from '../../core/types';
import { createWireEncoder } from './createWireEncoder';

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
};

export const DEFAULT_FAKE_SCRIPT: FakeModelScript = {
  reasoning: 'The user wants a coffee tip. Keep it short and practical, then look up beans nearby.',
  text:
    "Here's a quick tip: brew your café au lait with freshly ground beans, let the water rest thirty seconds off the boil, " +
    'then pour slowly in circles. Patience gives a smoother, sweeter cup ☕ every morning. Let me find a roaster near you.',
  toolCalls: [{ id: 'call_fake_roasters', name: 'find_roasters', args: { city: 'Genève', radius_km: 5, open_now: true, roast: ['light', 'medium'] } }],
  inputTokens: 42,
};

/** Cuts text into model-like tokens: a word with its leading space, long words in pieces of ≤ 6 characters. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(/\s*\S+|\s+$/gu)) {
    const word = match[0];
    const chars = Array.from(word); // never split a surrogate pair
    for (let i = 0; i < chars.length; i += 6) tokens.push(chars.slice(i, i + 6).join(''));
  }
  return tokens;
}

/** A tool call's argument pieces: `argsFragments` as given, else its JSON in pieces of 8 characters. */
function argsPieces(call: NonNullable<FakeModelScript['toolCalls']>[number]): readonly string[] {
  if (call.argsFragments) return call.argsFragments.filter((piece) => piece.length > 0);
  const argsText = typeof call.args === 'string' ? call.args : (JSON.stringify(call.args ?? {}) ?? '{}');
  const pieces: string[] = [];
  for (let at = 0; at < argsText.length; at += 8) pieces.push(argsText.slice(at, at + 8));
  return pieces;
}

let counter = 0;

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

  const stream: FakeModel['stream'] = (signal, overrides = {}) => {
    const protocol = overrides.protocol ?? options.protocol ?? 'ai-sdk';
    const tokensPerSecond = overrides.tokensPerSecond ?? options.tokensPerSecond ?? 50;
    const intervalMs = overrides.intervalMs ?? (overrides.tokensPerSecond === undefined ? options.intervalMs : undefined);
    const script = overrides.script ?? options.script ?? DEFAULT_FAKE_SCRIPT;
    const stall = overrides.stall ?? options.stall;
    const id = overrides.id ?? options.id ?? `fake${String(++counter).padStart(8, '0')}`;
    const wire = createWireEncoder(protocol, { id, inputTokens: script.inputTokens ?? 0 });
    const run: FakeModelRun = { id, protocol, tokens: 0, tokenTimes: [], abortedAt: null, tokensAfterAbort: 0, finished: false };
    runs.push(run);

    // The answer as a list of steps; each token step is one token of output.
    type Step = { token: boolean; write: () => string };
    const steps: Step[] = [{ token: false, write: () => wire.start() }];
    for (const piece of tokenize(script.reasoning ?? '')) steps.push({ token: true, write: () => wire.reasoning(piece) });
    for (const piece of tokenize(script.text ?? '')) steps.push({ token: true, write: () => wire.text(piece) });
    if (!script.error) {
      (script.toolCalls ?? []).forEach((call, n) => {
        const callId = call.id ?? `call_${id}_${n}`;
        steps.push({ token: false, write: () => wire.toolStart(callId, call.name) });
        for (const piece of argsPieces(call)) steps.push({ token: true, write: () => wire.toolDelta(callId, piece) });
        steps.push({ token: false, write: () => wire.toolEnd(callId) });
      });
    }
    const finishReason = script.finishReason ?? ((script.toolCalls?.length ?? 0) > 0 ? 'tool-calls' : 'stop');
    steps.push({
      token: false,
      write: () =>
        script.error ? wire.error(script.error) : wire.finish(finishReason, { inputTokens: script.inputTokens ?? 0, outputTokens: script.outputTokens ?? run.tokens }),
    });

    const encoder = new TextEncoder();
    const interval =
      intervalMs !== undefined
        ? intervalMs > 0 && Number.isFinite(intervalMs)
          ? intervalMs
          : 0
        : tokensPerSecond > 0 && Number.isFinite(tokensPerSecond)
          ? 1000 / tokensPerSecond
          : 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let next = 0;
    let onAbort: (() => void) | null = null;

    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const emitUntilToken = () => {
          // Non-token steps (framing) go out with the token that follows them.
          let out = '';
          while (next < steps.length) {
            const step = steps[next++]!;
            if (step.token) {
              run.tokens++;
              const now = performance.now();
              run.tokenTimes.push(now);
              if (run.abortedAt !== null) run.tokensAfterAbort++;
            }
            out += step.write();
            if (step.token) break;
          }
          if (out) controller.enqueue(encoder.encode(out));
          if (next >= steps.length) {
            run.finished = true;
            signal?.removeEventListener('abort', onAbort!);
            controller.close();
            return false;
          }
          return true;
        };
        let stalled = false;
        const tick = () => {
          timer = null;
          for (;;) {
            if (stall && !stalled && run.tokens >= stall.afterTokens && next < steps.length) {
              stalled = true;
              if (stall.ms !== undefined && Number.isFinite(stall.ms)) timer = setTimeout(tick, Math.max(0, stall.ms));
              return;
            }
            if (!emitUntilToken()) return;
            if (interval > 0) {
              timer = setTimeout(tick, interval);
              return;
            }
          }
        };
        onAbort = () => {
          run.abortedAt = performance.now();
          if (timer !== null) clearTimeout(timer);
          timer = null;
          controller.error(signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
        };
        if (signal?.aborted) {
          onAbort();
          return;
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        tick();
      },
      cancel() {
        // The reader went away (the proxy aborted or the client disconnected): stop generating.
        if (timer !== null) clearTimeout(timer);
        timer = null;
        run.abortedAt ??= performance.now();
        signal?.removeEventListener('abort', onAbort!);
      },
    });

    const headers: Record<string, string> = { 'content-type': wire.contentType, 'cache-control': 'no-cache' };
    if (protocol === 'ai-sdk') headers['x-vercel-ai-ui-message-stream'] = 'v1';
    return new Response(body, { status: 200, headers });
  };

  return {
    stream,
    get runs() {
      return runs;
    },
  };
}

/**
 * Upstream fakes for the server tests (a full deterministic fake model for all six protocols will
 * live elsewhere; these are only what the server tests need).
 *
 * - `createManualUpstream`: the test decides every byte and when it is sent, so tests do not
 *   depend on timing.
 * - `createPacedUpstream`: a provider that keeps generating on a timer until its AbortSignal
 *   aborts, like a real model, and counts what it produced; used to prove the signal (not only
 *   the body) is aborted, and for the disconnect policies.
 */
import type { Protocol } from '../../../src/core/types';

const encoder = new TextEncoder();

export type ManualUpstream = {
  upstream: (signal: AbortSignal) => Response;
  /** Sends raw text (queued until the upstream is called). */
  send(text: string): void;
  /** Sends raw bytes, e.g. half of a multi-byte character. */
  sendBytes(bytes: Uint8Array): void;
  /** Ends the body normally. */
  end(): void;
  /** Breaks the body mid-stream. */
  fail(error?: unknown): void;
  /** Resolves with the signal when the handler calls `upstream`. */
  readonly called: Promise<AbortSignal>;
  readonly calls: number;
  readonly signal: AbortSignal | null;
  /** The handler cancelled the body it read from us. */
  readonly bodyCancelled: boolean;
};

export function createManualUpstream(
  options: { contentType?: string | null; status?: number; headers?: Record<string, string> } = {},
): ManualUpstream {
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  const queued: Array<{ kind: 'send'; bytes: Uint8Array } | { kind: 'end' } | { kind: 'fail'; error: unknown }> = [];
  let calls = 0;
  let signal: AbortSignal | null = null;
  let bodyCancelled = false;
  let resolveCalled!: (signal: AbortSignal) => void;
  const called = new Promise<AbortSignal>((resolve) => (resolveCalled = resolve));

  const apply = (op: (typeof queued)[number]) => {
    if (!controller) {
      queued.push(op);
      return;
    }
    try {
      if (op.kind === 'send') controller.enqueue(op.bytes);
      else if (op.kind === 'end') controller.close();
      else controller.error(op.error);
    } catch {
      // cancelled by the handler: a provider writing into a closed connection
    }
  };

  return {
    upstream(s) {
      calls++;
      signal = s;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          for (const op of queued.splice(0)) apply(op);
        },
        cancel() {
          bodyCancelled = true;
        },
      });
      const headers = new Headers(options.headers);
      const contentType = options.contentType === undefined ? 'text/event-stream' : options.contentType;
      if (contentType !== null) headers.set('content-type', contentType);
      resolveCalled(s);
      return new Response(body, { status: options.status ?? 200, headers });
    },
    send: (text) => apply({ kind: 'send', bytes: encoder.encode(text) }),
    sendBytes: (bytes) => apply({ kind: 'send', bytes }),
    end: () => apply({ kind: 'end' }),
    fail: (error = new Error('upstream connection reset')) => apply({ kind: 'fail', error }),
    called,
    get calls() {
      return calls;
    },
    get signal() {
      return signal;
    },
    get bodyCancelled() {
      return bodyCancelled;
    },
  };
}

/** Content types the fakes use per protocol. */
export const CONTENT_TYPE: Record<Protocol, string> = {
  'openai-chat': 'text/event-stream',
  'openai-responses': 'text/event-stream',
  anthropic: 'text/event-stream',
  'ai-sdk': 'text/event-stream',
  text: 'text/plain; charset=utf-8',
  ndjson: 'application/x-ndjson',
};

/** The word the n-th text delta carries (4 characters, so `ceil(chars / 4)` is easy to check). */
export const word = (n: number) => `w${String(n % 100).padStart(2, '0')} `;

/** Wire text that opens a stream of `protocol` (before the first text delta). */
export function openingOf(protocol: Protocol): string {
  switch (protocol) {
    case 'anthropic':
      return (
        'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"stop_reason":null,"usage":{"input_tokens":12,"output_tokens":1}}}\n\n' +
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
      );
    case 'openai-responses':
      return 'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","usage":null}}\n\n';
    case 'ai-sdk':
      return 'data: {"type":"start","messageId":"m1"}\n\ndata: {"type":"text-start","id":"t1"}\n\n';
    default:
      return '';
  }
}

/** Wire text of the n-th text delta (one complete event / line). */
export function deltaOf(protocol: Protocol, n: number): string {
  const text = JSON.stringify(word(n));
  switch (protocol) {
    case 'openai-chat':
      return `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${text}},"finish_reason":null}]}\n\n`;
    case 'ndjson':
      return `{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${text}},"finish_reason":null}]}\n`;
    case 'openai-responses':
      return `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${n + 1},"item_id":"msg_1","output_index":0,"content_index":0,"delta":${text}}\n\n`;
    case 'anthropic':
      return `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${text}}}\n\n`;
    case 'ai-sdk':
      return `data: {"type":"text-delta","id":"t1","delta":${text}}\n\n`;
    case 'text':
      return word(n);
  }
}

/** Wire text that ends a stream normally, with usage where the protocol has it. */
export function closingOf(protocol: Protocol, outputTokens: number): string {
  switch (protocol) {
    case 'openai-chat':
      return (
        'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
        `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":${outputTokens}}}\n\n` +
        'data: [DONE]\n\n'
      );
    case 'ndjson':
      return (
        '{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n' +
        `{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":${outputTokens}}}\n`
      );
    case 'openai-responses':
      return `event: response.completed\ndata: {"type":"response.completed","sequence_number":9999,"response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":12,"output_tokens":${outputTokens}}}}\n\n`;
    case 'anthropic':
      return (
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n' +
        `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":${outputTokens}}}\n\n` +
        'event: message_stop\ndata: {"type":"message_stop"}\n\n'
      );
    case 'ai-sdk':
      return `data: {"type":"text-end","id":"t1"}\n\ndata: {"type":"finish","finishReason":"stop","messageMetadata":{"usage":{"inputTokens":12,"outputTokens":${outputTokens}}}}\n\ndata: [DONE]\n\n`;
    case 'text':
      return '';
  }
}

export type PacedStats = {
  /** `upstream` was called. */
  called: boolean;
  /** Its AbortSignal aborted. */
  signalAborted: boolean;
  /** The handler cancelled the body it read from us. */
  bodyCancelled: boolean;
  /** Text deltas generated so far (a provider generates whether or not anyone reads). */
  produced: number;
  /** `produced` at the moment the signal aborted. */
  producedAtAbort: number | null;
  /** The generation ran to its natural end (all `events` deltas and the closing). */
  completed: boolean;
};

export type PacedUpstream = {
  upstream: (signal: AbortSignal) => Response;
  stats: PacedStats;
  /** Resolves when generation stops (abort or completion). */
  stopped: Promise<void>;
};

/**
 * A provider that generates `events` text deltas of `protocol`, one every `intervalMs`, until its
 * signal aborts. Cancelling the body alone does not stop it (as with a provider whose fetch is not
 * aborted); only the signal does.
 */
export function createPacedUpstream(protocol: Protocol, options: { events?: number; intervalMs?: number } = {}): PacedUpstream {
  const events = options.events ?? 100_000;
  const intervalMs = options.intervalMs ?? 5;
  const stats: PacedStats = { called: false, signalAborted: false, bodyCancelled: false, produced: 0, producedAtAbort: null, completed: false };
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));

  return {
    stats,
    stopped,
    upstream(signal) {
      stats.called = true;
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      let open = true;
      const write = (text: string) => {
        if (!open || text === '') return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          open = false;
        }
      };
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
        },
        cancel() {
          stats.bodyCancelled = true;
          open = false;
        },
      });
      let timer: ReturnType<typeof setTimeout> | null = null;
      const stop = () => {
        if (timer) clearTimeout(timer);
        timer = null;
        resolveStopped();
      };
      signal.addEventListener(
        'abort',
        () => {
          stats.signalAborted = true;
          stats.producedAtAbort = stats.produced;
          if (open) {
            open = false;
            try {
              controller.error(signal.reason);
            } catch {
              // already closed
            }
          }
          stop();
        },
        { once: true },
      );
      write(openingOf(protocol));
      const tick = () => {
        if (signal.aborted) return;
        if (stats.produced >= events) {
          write(closingOf(protocol, stats.produced));
          if (open) {
            open = false;
            controller.close();
          }
          stats.completed = true;
          stop();
          return;
        }
        write(deltaOf(protocol, stats.produced));
        stats.produced++;
        timer = setTimeout(tick, intervalMs);
      };
      timer = setTimeout(tick, 0);
      return new Response(body, { headers: { 'content-type': CONTENT_TYPE[protocol] } });
    },
  };
}

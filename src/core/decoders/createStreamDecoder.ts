import { createParser, type EventSourceParser } from 'eventsource-parser';
import { StreamProtocolError } from '../errors';
import type { DecodeOptions, Protocol, StreamEvent } from '../types';
import { createAiSdkHandler } from './aiSdk';
import { createAnthropicHandler } from './anthropic';
import { detectProtocolFromContentType, detectProtocolFromEvent } from './detectProtocol';
import { emitUsage, parseJsonOrUndefined, type EmitEvent, type HandlerFactory, type JsonEventHandler } from './handler';
import { createOpenAIChatHandler } from './openaiChat';
import { createOpenAIResponsesHandler } from './openaiResponses';

/** Bytes (or already decoded text) in, normalized events out. Errors are thrown from `push`/`end`. */
export type StreamDecoder = {
  /** Feeds the next network chunk. Multi-byte characters split across chunks are handled. */
  push(chunk: Uint8Array | string): void;
  /** Ends the input. An SSE event or NDJSON line left incomplete at this point is discarded. */
  end(): void;
  /** The protocol in use, once known (`'auto'` decides on the first event). */
  readonly protocol: Protocol | null;
};

/** Name of the SSE event the server helpers send when a stream was cancelled through the cancel endpoint. */
export const STREAM_CANCELLED_EVENT = 'stream-cancelled';

const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024;

const HANDLERS: Record<Exclude<Protocol, 'text'>, HandlerFactory> = {
  'openai-chat': createOpenAIChatHandler,
  'openai-responses': createOpenAIResponsesHandler,
  anthropic: createAnthropicHandler,
  'ai-sdk': createAiSdkHandler,
  // NDJSON is openai-node's `toReadableStream()`: one Chat chunk per line.
  ndjson: createOpenAIChatHandler,
};

/**
 * Creates the decoder behind `decodeStream`, `collectStream` and the stream session: UTF-8
 * decoding, SSE framing (eventsource-parser), NDJSON framing, protocol detection, and the
 * protocol handlers. Synchronous and allocation-light, because it runs on every network chunk.
 *
 * @example
 * ```ts
 * const events: StreamEvent[] = [];
 * const decoder = createStreamDecoder({ protocol: 'anthropic' }, (e) => events.push(e));
 * decoder.push(new TextEncoder().encode('event: ping\ndata: {"type":"ping"}\n\n'));
 * decoder.end();
 * ```
 */
export function createStreamDecoder(options: DecodeOptions, emit: EmitEvent): StreamDecoder {
  const maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
  // The default TextDecoder drops a leading BOM and, with `stream: true`, keeps a character split
  // across chunks until its last byte arrives.
  const utf8 = new TextDecoder('utf-8');

  let protocol: Protocol | null = null;
  /** SSE or NDJSON once known; `text` passes chunks straight through. */
  let framing: 'sse' | 'ndjson' | 'text' | null = null;
  let handler: JsonEventHandler | null = null;
  let sse: EventSourceParser | null = null;
  let sniffed = ''; // text held back while 'auto' has neither a content type nor a full first line
  let ndjsonRest = '';
  let ended = false;
  let failure: unknown = null;
  let htmlPage = false;

  const requested = options.protocol ?? 'auto';
  if (requested !== 'auto') {
    protocol = requested;
    framing = requested === 'text' || requested === 'ndjson' ? requested : 'sse';
    if (requested !== 'text') handler = HANDLERS[requested](emit, options);
  } else {
    framing = detectProtocolFromContentType(options.contentType);
    if (framing === 'text') protocol = 'text';
    // A 200 HTML page (a login page, a proxy's or gateway's error page) is not a model stream and
    // must never be shown as the answer. Naming `protocol` (e.g. 'text') reads it anyway.
    htmlPage = /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i.test(options.contentType ?? '');
  }

  /** Parses one event's JSON, picks the protocol on the first event if needed, and dispatches. */
  const onJson = (raw: string, eventName: string | undefined, isSse: boolean) => {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch (cause) {
      throw new StreamProtocolError(
        'malformed-event',
        `A ${isSse ? 'stream event' : 'line'} is not valid JSON${protocol ? ` (protocol ${protocol})` : ''}.`,
        raw,
        { cause },
      );
    }
    if (!handler) {
      const detected = detectProtocolFromEvent(data, eventName);
      if (!detected) {
        throw new StreamProtocolError(
          'unknown-protocol',
          'Could not tell which protocol this stream speaks from its first event; pass `protocol` explicitly.',
          raw,
        );
      }
      protocol = isSse ? detected : 'ndjson';
      handler = HANDLERS[detected](emit, options);
    }
    // Events are objects; another JSON value (`42`, `null`) carries nothing and is skipped.
    if (data !== null && typeof data === 'object') handler(data, eventName);
  };

  const onSseEvent = (eventName: string | undefined, raw: string) => {
    // eventsource-parser bounds what it buffers between chunks; an event that arrives whole in one
    // chunk is bounded here.
    if (raw.length > maxEventSize) {
      throw new StreamProtocolError('buffer-overflow', `A stream event grew past ${maxEventSize} characters.`, raw.slice(0, 1000));
    }
    if (eventName === STREAM_CANCELLED_EVENT) {
      emitCancelled(raw, emit);
      return;
    }
    if (raw === '[DONE]') return;
    // @anthropic-ai/sdk ignores events without an `event:` line; so do we, once we know it is Anthropic.
    if (protocol === 'anthropic' && eventName === undefined) return;
    onJson(raw, eventName, true);
  };

  const startSse = () =>
    createParser({
      maxBufferSize: maxEventSize,
      onEvent: (message) => onSseEvent(message.event, message.data),
      onError: (error) => {
        // Unknown fields and bad `retry:` values are ignored, as EventSource does; only an
        // overlong event is fatal.
        if (error.type === 'max-buffer-size-exceeded') {
          throw new StreamProtocolError('buffer-overflow', `A stream event grew past ${maxEventSize} characters.`, '');
        }
      },
    });

  const feedNdjson = (text: string, final: boolean) => {
    let buffer = ndjsonRest + text;
    let start = 0;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(start, buffer.charCodeAt(newline - 1) === 13 ? newline - 1 : newline);
      if (line.trim() !== '') onJson(line, undefined, false);
      start = newline + 1;
      newline = buffer.indexOf('\n', start);
    }
    buffer = buffer.slice(start);
    if (final) {
      ndjsonRest = '';
      const line = buffer.trim();
      // A last line without its newline is read when it is whole JSON; a line cut mid-way is
      // discarded, like an SSE event cut before its blank line.
      if (line !== '' && parseJsonOrUndefined(line) !== undefined) onJson(line, undefined, false);
    } else {
      if (buffer.length > maxEventSize) {
        throw new StreamProtocolError('buffer-overflow', `An NDJSON line grew past ${maxEventSize} characters.`, buffer.slice(0, 1000));
      }
      ndjsonRest = buffer;
    }
  };

  const feedText = (text: string, final: boolean) => {
    if (htmlPage) {
      throw new StreamProtocolError(
        'unknown-protocol',
        'The server answered with an HTML page (content-type text/html), not a model stream; pass `protocol` explicitly if it really is one.',
        text,
      );
    }
    if (framing === null) {
      // 'auto' without a content type: look at the first line to choose the framing.
      sniffed += text;
      const choice = sniffFraming(sniffed, final);
      if (choice === null) return;
      framing = choice;
      if (choice === 'text') protocol = 'text';
      text = sniffed;
      sniffed = '';
    }
    if (framing === 'text') {
      if (text !== '') emit({ type: 'text-delta', delta: text });
    } else if (framing === 'ndjson') {
      feedNdjson(text, final);
    } else {
      // A CR at a chunk's end already ends its line (eventsource-parser 4 only drops an LF that
      // may follow it), so nothing is left to finish at the end of input.
      sse ??= startSse();
      if (text !== '') sse.feed(text);
    }
  };

  const guard = (run: () => void) => {
    if (failure) throw failure;
    try {
      run();
    } catch (error) {
      failure = error;
      throw error;
    }
  };

  return {
    push(chunk) {
      if (ended) throw new Error('createStreamDecoder: push() after end()');
      guard(() => feedText(typeof chunk === 'string' ? chunk : utf8.decode(chunk, { stream: true }), false));
    },
    end() {
      if (ended) return;
      ended = true;
      guard(() => feedText(utf8.decode(), true));
    },
    get protocol() {
      return protocol;
    },
  };
}

/** The usage and flag the server helper puts in its `stream-cancelled` event, as normalized events. */
function emitCancelled(raw: string, emit: (event: StreamEvent) => void) {
  // The event itself is the signal; a payload we cannot read only costs the usage.
  const data = parseJsonOrUndefined(raw);
  emitUsage(emit, data?.usage, 'inputTokens', 'outputTokens', data?.usageEstimated === true);
  emit({ type: 'finish', finishReason: 'cancelled', rawFinishReason: STREAM_CANCELLED_EVENT });
}

const SSE_LINE = /^(?::|data:|event:|id:|retry:|data$|event$)/;

/** Chooses a framing from the first line of a stream that came without a content type. */
function sniffFraming(text: string, final: boolean): 'sse' | 'ndjson' | 'text' | null {
  const trimmed = text.trimStart();
  if (trimmed === '') return final ? 'text' : null;
  if (trimmed[0] === '{') return 'ndjson';
  if (!final && trimmed.length < 16 && !/[\r\n]/.test(trimmed)) return null;
  return SSE_LINE.test(trimmed) ? 'sse' : 'text';
}

import type { EventSourceParser } from 'eventsource-parser';
import { StreamProtocolError } from '../errors';
import type { DecodeOptions, Protocol } from '../types';
import { createNdjsonFraming } from './createNdjsonFraming';
import { createSseFraming } from './createSseFraming';
import { detectProtocolFromContentType } from './detectProtocol';
import { createHandlerSlot } from './createHandlerSlot';
import type { EmitEvent, HandlerSource, JsonProtocol } from './handler';
import { sniffFraming } from './sniffFraming';
import { emitCancelled, Name } from './streamCancelled';

// The stream decoder after UTF-8: which framing and protocol (named, from the content type, or
// from the first line and event), the events every protocol shares (`[DONE]`,
// `stream-cancelled`), and the protocol handlers, from `handlers`: at once (the static map), or
// loaded (the session's lazy chunks), the events then held in order until the handler arrives.
// `createDecoder` wraps it with the bytes and the push/end lifecycle.

/** Text in (any split), normalized events out. */
export type TextFeed = {
  /** Feeds the next piece of text; `final`: the input ends here. Protocol errors are thrown. */
  feed(text: string, final: boolean): void;
  /** The protocol in use, once known. */
  readonly protocol: Protocol | null;
  /**
   * Where a resume continues from (docs/resume.md), `null` for the start: the `id:` of the last
   * SSE event applied; for text and NDJSON `bytes`, the bytes fed so far.
   */
  cursor(bytes: number): string | null;
  /**
   * A resume from `cursor` follows: an SSE resume starts at an event's start, so the half event
   * the old connection left is dropped (so is what 'auto' held back: a resume from the start), and
   * it returns `true`. The handler's state (open blocks, tool calls, usage) stays. NDJSON and text
   * continue at the very byte where the old connection stopped: they keep their partial line (`false`).
   */
  resume(): boolean;
  /**
   * While a lazily loaded handler is on its way (its events held): settles once it arrived and
   * applied them; rejects if it could not be loaded, or a held event broke the format. `null` otherwise.
   */
  readonly ready: Promise<void> | null;
};

// An enum, not a top-level constant: a bundler (esbuild) writes its value in place.
enum Default {
  MAX_EVENT_SIZE = 16 * 1024 * 1024,
}

/** Creates the text half of `createStreamDecoder` for one stream (see it for `options`), with its handler from `handlers`. */
export function createTextFeed(options: DecodeOptions, emit: EmitEvent, handlers: HandlerSource): TextFeed {
  const maxEventSize = options.maxEventSize ?? Default.MAX_EVENT_SIZE;
  const requested = options.protocol ?? 'auto';
  const auto = requested === 'auto';

  /** SSE or NDJSON once known; `text` passes chunks straight through. */
  let framing: 'sse' | 'ndjson' | 'text' | null = auto ? detectProtocolFromContentType(options.contentType) : requested === 'text' || requested === 'ndjson' ? requested : 'sse';
  const slot = createHandlerSlot(handlers, emit, options);
  if (framing === 'text') slot.protocol = 'text';
  else if (!auto) slot.use(requested as JsonProtocol);
  // A 200 HTML page (a login page, a proxy's or gateway's error page) is not a model stream and
  // must never be shown as the answer. Naming `protocol` (e.g. 'text') reads it anyway.
  const htmlPage = auto && /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i.test(options.contentType ?? '');
  let sse: EventSourceParser | null = null;
  let sniffed = ''; // text held back while 'auto' has neither a content type nor a full first line
  let lastId: string | null = null;

  const onSseEvent = (eventName: string | undefined, raw: string, id: string | undefined) =>
    slot.now(() => {
      if (eventName === Name.STREAM_CANCELLED_EVENT) emitCancelled(raw, emit);
      // `[DONE]` carries nothing; @anthropic-ai/sdk skips events without `event:` (so do we, for Anthropic).
      else if (raw !== '[DONE]' && !(slot.protocol === 'anthropic' && eventName === undefined) && !slot.json(raw, eventName, true)) return false;
      lastId = id ?? lastId; // once applied (a throw above leaves it, so does a held event): a resume continues after it
      return true;
    });

  const feedNdjson = createNdjsonFraming(maxEventSize, (line) => slot.now(() => slot.json(line, undefined, false)));

  const feed = (text: string, final: boolean) => {
    if (slot.broken) throw slot.broken;
    if (htmlPage) throw htmlPageError(text);
    if (framing === null) {
      // 'auto' without a content type: look at the first line to choose the framing.
      sniffed += text;
      const choice = sniffFraming(sniffed, final);
      if (choice === null) return;
      framing = choice;
      if (choice === 'text') slot.protocol = 'text';
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
      sse ??= createSseFraming(maxEventSize, onSseEvent);
      if (text !== '') sse.feed(text);
    }
  };

  return {
    feed,
    get protocol() {
      return slot.protocol;
    },
    cursor: (bytes) => (framing === 'sse' ? lastId : framing && bytes ? String(bytes) : null),
    get ready() {
      return slot.ready;
    },
    resume() {
      if (framing === 'text' || framing === 'ndjson') return false;
      // Events held while the handler loads were not applied: the resume, from the last applied one, sends them again.
      slot.drop();
      sse?.reset();
      sniffed = '';
      return true;
    },
  };
}

/** What reading an HTML page as a model stream throws. */
function htmlPageError(text: string): StreamProtocolError {
  return new StreamProtocolError(
    'unknown-protocol',
    'The server answered with an HTML page (content-type text/html), not a model stream; pass `protocol` explicitly if it really is one.',
    text,
  );
}

/**
 * Typed errors. Each subclasses `Error`, sets `name`, and carries a string-union `type` so callers
 * can branch without string matching (the habit of eventsource-parser's `ParseError` and TanStack's
 * `CancelledError`). Messages say what happened and, where it helps, what to do.
 *
 * Fields are `declare`d and set in the constructor, in the order class fields defined them (the
 * order `Object.keys` shows): the same own properties, without a field declaration per property
 * in the bundle.
 */

/** The server answered with a non-2xx status. `body` holds (the start of) the response text. */
export class StreamHttpError extends Error {
  declare readonly status: number;
  declare readonly statusText: string;
  declare readonly body: string;
  declare readonly name: 'StreamHttpError';
  declare readonly type: 'http';
  constructor(
    status: number,
    statusText: string,
    body: string,
    /** What failed, for the message: `'The stream request'` (default) or `'The cancel request'`. */
    subject = 'The stream request',
  ) {
    super(`${subject} failed with HTTP ${status}${statusText ? ` ${statusText}` : ''}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.status = status;
    this.statusText = statusText;
    this.body = body;
    this.name = 'StreamHttpError';
    this.type = 'http';
  }
}

/** Why a stream could not be decoded. */
export type StreamProtocolErrorType =
  /** An event's data is not the JSON its protocol requires. */
  | 'malformed-event'
  /** An event or line grew past `maxEventSize`. */
  | 'buffer-overflow'
  /** `'auto'` could not tell which protocol the stream speaks. */
  | 'unknown-protocol'
  /**
   * The stream session could not load the decoder of the stream's protocol (a chunk of its own,
   * loaded on first use: offline, or a deploy removed the app's old chunks). `cause` is the import's error.
   */
  | 'handler-unavailable';

/** The stream broke its wire format. `line` is the offending event data or line (cut to 1,000 characters). */
export class StreamProtocolError extends Error {
  declare readonly type: StreamProtocolErrorType;
  declare readonly name: 'StreamProtocolError';
  declare readonly line: string;
  constructor(type: StreamProtocolErrorType, message: string, line = '', options?: { cause?: unknown }) {
    super(message, options);
    this.type = type;
    this.name = 'StreamProtocolError';
    this.line = line.length > 1000 ? `${line.slice(0, 1000)}…` : line;
  }
}

/** Why a stream was aborted on this side. */
export type StreamAbortReason =
  /** The user stopped it (`stop()`). */
  | 'cancelled'
  /** The component or app that owned it went away, or the connection dropped. */
  | 'disconnected'
  /** No first byte arrived within `firstByteTimeoutMs`, or the stream went silent past `idleTimeoutMs`. */
  | 'timeout';

/** The stream was aborted locally. Check with `instanceof`, like TanStack's `CancelledError`. */
export class StreamAbortedError extends Error {
  declare readonly reason: StreamAbortReason;
  declare readonly name: 'StreamAbortedError';
  constructor(reason: StreamAbortReason, message = `The stream was aborted (${reason}).`, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.name = 'StreamAbortedError';
  }
}

/**
 * A stop the server did not confirm for a reason worth naming. `'unknown-stream'`: the cancel
 * endpoint answered `pending` (no such stream yet) for a stream whose answer had already started,
 * so it does not know a running stream: the routes do not share one registry.
 */
export class StreamCancelError extends Error {
  declare readonly type: 'unknown-stream';
  declare readonly name: 'StreamCancelError';
  constructor(type: 'unknown-stream', message: string) {
    super(message);
    this.type = type;
    this.name = 'StreamCancelError';
  }
}

/**
 * The model (or the server in front of it) reported an error inside the stream: an OpenAI `error`
 * chunk, an Anthropic `error` event (`overloaded_error`, …), a Responses `error` / `response.failed`,
 * an AI SDK `error` part. The text received before it is kept.
 */
export class StreamModelError extends Error {
  declare readonly name: 'StreamModelError';
  declare readonly type: 'model';
  constructor(message: string) {
    super(message);
    this.name = 'StreamModelError';
    this.type = 'model';
  }
}

/** The text given to a partial JSON parser is not JSON. `offset` is the 0-based character offset of the first bad character. */
export class PartialJsonError extends Error {
  declare readonly offset: number;
  declare readonly name: 'PartialJsonError';
  declare readonly type: 'invalid-json';
  constructor(offset: number, message: string) {
    super(`${message} at offset ${offset}`);
    this.offset = offset;
    this.name = 'PartialJsonError';
    this.type = 'invalid-json';
  }
}

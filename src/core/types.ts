/**
 * The normalized vocabulary every wire format is decoded into. Decoders speak only this; the
 * accumulator, the session, the store and the server never look at a provider's own JSON.
 */

/** The wire formats the library reads. `'auto'` (where accepted) picks one from the content type, then the first event. */
export type Protocol = 'openai-chat' | 'openai-responses' | 'anthropic' | 'ai-sdk' | 'text' | 'ndjson';

/** Every protocol name, in a fixed order (useful for switches in UIs and tests). */
export const PROTOCOLS: readonly Protocol[] = [
  'openai-chat',
  'openai-responses',
  'anthropic',
  'ai-sdk',
  'text',
  'ndjson',
];

/**
 * Why a model stopped, normalized across providers (see `docs/FORMATS.md`).
 * `cancelled` means the server confirmed a user's stop inside the stream.
 */
export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'cancelled' | 'other';

/** Token usage. `null` counts are unknown; `estimated` is set when the server had to estimate them. */
export type Usage = { inputTokens: number | null; outputTokens: number | null; estimated?: boolean };

/**
 * One normalized event. Tool-call events are keyed by the **public** tool-call id (Chat
 * `tool_calls[].id`, Responses `call_id`, Anthropic `tool_use.id`, AI SDK `toolCallId`): decoders
 * translate the provider's own key (Chat `index`, Responses `item_id`, Anthropic block `index`) so
 * nothing downstream needs to know it.
 */
export type StreamEvent =
  /** The response / message id (`chatcmpl-…`, `resp_…`, `msg_…`, AI SDK `messageId`). */
  | { type: 'id'; id: string }
  /** Visible answer text. */
  | { type: 'text-delta'; delta: string }
  /** Reasoning / thinking text (never part of `text`). */
  | { type: 'reasoning-delta'; delta: string }
  /** A tool call begins. */
  | { type: 'tool-call-start'; id: string; name: string }
  /** Raw argument text of a tool call, to be appended as is. */
  | { type: 'tool-call-delta'; id: string; delta: string }
  /**
   * A tool call's arguments are complete. `args` is set only when the protocol sends the final
   * parsed input itself (AI SDK `tool-input-available`); otherwise the arguments are the text.
   */
  | { type: 'tool-call-end'; id: string; args?: unknown }
  /**
   * Usage so far. Counts replace earlier ones (providers send cumulative counts); a `null` or
   * missing count leaves the known one unchanged.
   */
  | { type: 'usage'; usage: Usage }
  /** The terminal signal: the normalized and the provider's own reason. */
  | { type: 'finish'; finishReason: FinishReason; rawFinishReason: string }
  /** An error reported inside the stream (the human-readable message only). */
  | { type: 'error'; message: string; code?: string };

export type StreamEventType = StreamEvent['type'];

/** One tool call in a snapshot. `args` is the parsed final object, or `null` when the text is not (yet) a JSON object. */
export type SnapshotToolCall = { id: string; name: string; index: number; argsText: string; args: unknown };

/**
 * The normalized result of a whole stream: exactly the shape of `test/fixtures/*.expected.json`.
 */
export type StreamSnapshot = {
  id: string | null;
  text: string;
  toolCalls: SnapshotToolCall[];
  /** `estimated: true` appears only when the server estimated the counts (a cancelled stream). */
  usage: { inputTokens: number | null; outputTokens: number | null; estimated?: true } | null;
  finishReason: FinishReason | null;
  rawFinishReason: string | null;
  error: string | null;
};

/** Options shared by `decodeStream`, `collectStream` and the decoders. */
export type DecodeOptions = {
  /** The wire format, or `'auto'` (default) to detect it from `contentType`, then the first event. */
  protocol?: Protocol | 'auto';
  /** The response's `content-type` header, used by `'auto'`. */
  contentType?: string | null;
  /**
   * Where usage lives in AI SDK `messageMetadata` (the protocol has no usage channel of its own).
   * Default `['usage']`, i.e. `finish.messageMetadata.usage = { inputTokens, outputTokens }`.
   */
  aiSdkUsagePath?: readonly string[];
  /**
   * Largest amount of text one event (or one unterminated NDJSON line) may buffer, in characters.
   * Past it the stream fails with a `StreamProtocolError` of type `buffer-overflow`. Default 16 MiB.
   */
  maxEventSize?: number;
};

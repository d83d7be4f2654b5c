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

/**
 * Token usage. `null` counts are unknown; `estimated` is set when the server had to estimate them.
 * The detail counts are present only when the provider sent them (named like the AI SDK's
 * `LanguageModelUsage` where it has a name). Anthropic's `inputTokens` excludes its cache reads
 * and writes; OpenAI's includes its cached tokens.
 *
 * @example
 * ```ts
 * const usage: Usage = { inputTokens: 2006, outputTokens: 503, cachedInputTokens: 1920, reasoningTokens: 384 };
 * ```
 */
export type Usage = {
  inputTokens: number | null;
  outputTokens: number | null;
  estimated?: boolean;
  /** Input tokens read from the prompt cache: OpenAI `*_tokens_details.cached_tokens`, Anthropic `cache_read_input_tokens`. */
  cachedInputTokens?: number;
  /** Input tokens written to the prompt cache: Anthropic `cache_creation_input_tokens`. */
  cacheWriteInputTokens?: number;
  /** Output tokens spent on reasoning: OpenAI `*_tokens_details.reasoning_tokens`. */
  reasoningTokens?: number;
};

/**
 * One reasoning block, in the provider's own terms, as a history builder must send it back:
 * Anthropic `thinking` (with its `signature`) and `redacted_thinking` (its opaque `data`) blocks,
 * OpenAI Responses `reasoning` items (`id`, `encrypted_content` when requested, summary texts).
 * A part is recorded when its block ends. `textOffset` and `toolCallsBefore` place it among the
 * message's content: it came after `text.slice(0, textOffset)` and after that many tool calls.
 *
 * @example
 * ```ts
 * // Anthropic: thinking, then text, then a tool call
 * const parts: ReasoningPart[] = [{ type: 'thinking', text: 'Two lookups.', signature: 'EqQB…', textOffset: 0, toolCallsBefore: 0 }];
 * ```
 */
export type ReasoningPart = ReasoningBlock & { textOffset: number; toolCallsBefore: number };

/**
 * A reasoning block as a decoder reports it (`reasoning-part` event); the accumulator adds where
 * it stands to make a `ReasoningPart`.
 *
 * @example
 * ```ts
 * const block: ReasoningBlock = { type: 'redacted', data: 'EmwKAhgBEgy…' };
 * ```
 */
export type ReasoningBlock =
  | { type: 'thinking'; text: string; signature?: string }
  | { type: 'redacted'; data: string }
  | { type: 'openai-reasoning'; id: string; encryptedContent?: string; summary: string[] };

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
  /**
   * Reasoning / thinking text (never part of `text`). Decoders put `"\n\n"` between two reasoning
   * blocks or summary parts, so that they do not run together.
   */
  | { type: 'reasoning-delta'; delta: string }
  /** A refusal's text (Chat `delta.refusal`, Responses `response.refusal.delta`); never part of `text`. */
  | { type: 'refusal-delta'; delta: string }
  /** A finished reasoning block (see `ReasoningPart`). */
  | { type: 'reasoning-part'; part: ReasoningBlock }
  /** A citation or annotation on the text, the provider's object as is (Anthropic `citations_delta`, Responses `output_text.annotation.added`). */
  | { type: 'annotation'; annotation: unknown }
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
  /** The terminal signal: the normalized and the provider's own reason, and the stop sequence matched (Anthropic). */
  | { type: 'finish'; finishReason: FinishReason; rawFinishReason: string; stopSequence?: string }
  /** An error reported inside the stream (the human-readable message only). */
  | { type: 'error'; message: string; code?: string };

export type StreamEventType = StreamEvent['type'];

/** One tool call in a snapshot. `args` is the parsed final object, or `null` when the text is not (yet) a JSON object. */
export type SnapshotToolCall = { id: string; name: string; index: number; argsText: string; args: unknown };

/**
 * The normalized result of a whole stream: exactly the shape of `test/fixtures/*.expected.json`.
 * The optional keys are present only when the stream carried them, so a stream with none of them
 * has exactly `{id, text, toolCalls, usage, finishReason, rawFinishReason, error}`.
 *
 * @example
 * ```ts
 * const snapshot: StreamSnapshot = {
 *   id: 'msg_01', text: 'Hi.', toolCalls: [], usage: { inputTokens: 9, outputTokens: 3, cachedInputTokens: 8 },
 *   finishReason: 'stop', rawFinishReason: 'stop_sequence', error: null, stopSequence: '###',
 * };
 * ```
 */
export type StreamSnapshot = {
  id: string | null;
  text: string;
  toolCalls: SnapshotToolCall[];
  /** `estimated: true` appears only when the server estimated the counts (a cancelled stream); detail counts only when sent. */
  usage: (Omit<Usage, 'estimated'> & { estimated?: true }) | null;
  finishReason: FinishReason | null;
  rawFinishReason: string | null;
  error: string | null;
} & MessageExtras;

/**
 * What a stream may carry beyond text, tool calls and usage: each key is present only when the
 * stream carried it (shared by the snapshot, the accumulated message and the store's `Message`).
 *
 * @example
 * ```ts
 * const extras: MessageExtras = { refusal: "I can't help with that." };
 * ```
 */
export type MessageExtras = {
  /** Reasoning / thinking text, blocks separated by `"\n\n"` (in the snapshot only when non-empty). */
  reasoning?: string;
  /** The refusal text (OpenAI), when the model refused. */
  refusal?: string;
  /** Citations and annotations, the providers' objects in arrival order. */
  annotations?: unknown[];
  /** The stop sequence that ended the message (Anthropic `stop_sequence`). */
  stopSequence?: string;
  /** Reasoning blocks for a history builder (signatures, redacted data, Responses reasoning items), in order. */
  reasoningParts?: ReasoningPart[];
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

import { type AnthropicContentBlock, type AnthropicMessage, toAnthropic } from './toAnthropic';
import { type OpenAIChatMessage, type OpenAIChatToolCall, toOpenAIChat } from './toOpenAIChat';
import { type OpenAIResponsesInputItem, type OpenAIResponsesReasoningSummary, toOpenAIResponses } from './toOpenAIResponses';
import type { SendableCall, Turn } from './Turn';
import { turnReasoning } from './turnReasoning';
import type { Message, ToolCall } from './types';

// The provider shapes are public types of this entry (index.ts re-exports them from here).
export type { AnthropicContentBlock, AnthropicMessage, OpenAIChatMessage, OpenAIChatToolCall, OpenAIResponsesInputItem, OpenAIResponsesReasoningSummary };

/*
 * History that providers accept: the store's messages as request messages for OpenAI Chat
 * Completions, the OpenAI Responses API or the Anthropic Messages API.
 *
 * Decisions (DESIGN.md leaves them open; also in docs/toModelMessages.md):
 * - **Tool calls need results.** Every provider rejects a tool call that is not answered by its
 *   result in the next turn. A call's result is its `toolResults` entry (keyed by tool-call id:
 *   results the app keeps elsewhere win), else its stored `execution`: `done` sends its result;
 *   `error`, `denied` and `cancelled` a text the model can read (the error, `DENIED_TOOL_RESULT`
 *   with the reason, `CANCELLED_TOOL_RESULT` / `DISCONNECTED_TOOL_RESULT`), an error result
 *   (`is_error` for Anthropic). A call with a result is sent with it. A call without one — a complete
 *   call your app never ran, or a call cut off mid-arguments (`state` `'incomplete'` or still
 *   `'streaming'`) — is left out together with its pairing (`incomplete.toolCalls: 'drop'`, the
 *   default), or sent with a synthetic result that says it was not run (`'close'`). A closed
 *   unfinished call carries its partial `args` when they are an object, else `{}`; its cut
 *   `argsText` is never sent (it is not JSON).
 * - **Stopped answers.** With `incomplete.note`, an assistant message the user stopped
 *   (`incomplete.reason === 'cancelled'`, or still `stopping`) gets a short note at the end of its text, so the model
 *   knows the answer was cut on purpose. A stopped answer that has nothing else to send is kept as
 *   the note alone (the model still learns it was stopped).
 * - **Empty turns.** Text that is empty or only whitespace is not sent (Anthropic rejects empty
 *   text blocks); a message left with neither text nor tool calls is skipped.
 * - **Reasoning goes back where the format takes it** (`reasoning: false` leaves it out): Anthropic
 *   `thinking` blocks with their signature and `redacted_thinking` blocks, OpenAI Responses
 *   `reasoning` items (id, summary, `encrypted_content` when the stream had it), each where the
 *   stream had it (`reasoningParts`' positions) — Anthropic requires them back unmodified with the
 *   `tool_use` of a tool loop. Left out: an unsigned thinking block, and a block with nothing sent
 *   after it (see `turnReasoning`). Chat Completions has no field for reasoning.
 * - **Refusals** go back as Chat's assistant `refusal`; the other formats have no request field for
 *   one, so a refusal is the assistant's text there when it has no other.
 * - **Anthropic** gets content blocks, consecutive messages of the same role merged into one (tool
 *   results first, as the API requires), and assistant text without trailing whitespace (a final
 *   assistant turn is a prefill, which may not end in whitespace).
 * - A tool call without a name cannot be sent to any provider and is always left out.
 */

/** The request formats {@link toModelMessages} produces. */
export type ModelMessageFormat = 'openai-chat' | 'openai-responses' | 'anthropic';

/** What to do with tool calls that have no result, and whether to mark stopped answers. */
export type IncompleteHistoryOptions = {
  /**
   * A tool call without a result in `toolResults` (cut off mid-arguments, or complete but never
   * run): `'drop'` (default) leaves it out; `'close'` sends it with a synthetic result saying it
   * was not run.
   */
  toolCalls?: 'drop' | 'close';
  /**
   * Appends a note to every assistant message the user stopped (`incomplete.reason === 'cancelled'`, or still `stopping`):
   * `true` for {@link DEFAULT_STOPPED_NOTE}, or your own text. Default: no note.
   */
  note?: boolean | string;
};

/** Options of {@link toModelMessages}. */
export type ToModelMessagesOptions = {
  /** The provider request format. Default `'openai-chat'`. */
  format?: ModelMessageFormat;
  /**
   * Tool results by tool-call id: a string is sent as is, anything else as JSON. A call is paired
   * with its result only when the record has an own, non-`undefined` entry for its id; that entry
   * wins over the call's stored `execution`.
   */
  toolResults?: Readonly<Record<string, unknown>>;
  /**
   * How the cut and the unanswered are sent: the options, or just the tool-call rule
   * (`'drop'` / `'close'`, the same as `{ toolCalls }`).
   */
  incomplete?: IncompleteHistoryOptions | 'drop' | 'close';
  /**
   * Send the stored reasoning blocks back (Anthropic thinking / redacted thinking, OpenAI Responses
   * reasoning items) where the format takes them. Default `true`; Chat Completions never gets any.
   */
  reasoning?: boolean;
};

/** The note `incomplete.note: true` appends to an answer the user stopped. */
export const DEFAULT_STOPPED_NOTE = '[The user stopped this answer before it was finished.]';

/** The synthetic result of a call cut off by the user's stop (`toolCalls: 'close'`). */
export const STOPPED_TOOL_RESULT = '[Not run: the user stopped the answer before this tool call was complete.]';
/** The synthetic result of a call cut off otherwise (dropped connection, error, length). */
export const INTERRUPTED_TOOL_RESULT = '[Not run: the answer was cut off before this tool call was complete.]';
/** The synthetic result of a complete call that has no result (`toolCalls: 'close'`). */
export const MISSING_TOOL_RESULT = '[No result: this tool call was not run.]';

/** The result of a call the user denied (`execution.state: 'denied'`; its `reason`, if any, follows). */
export const DENIED_TOOL_RESULT = 'The user denied this tool call.';
/** The result of a call cancelled by the user's stop (`execution: { state: 'cancelled', reason: 'stopped' }`). */
export const CANCELLED_TOOL_RESULT = 'Cancelled: the user stopped the run before this tool call finished.';
/** The result of a call whose run was lost with the page (`execution: { state: 'cancelled', reason: 'disconnected' }`). */
export const DISCONNECTED_TOOL_RESULT = 'Cancelled: the app was closed or reloaded before this tool call finished.';

// Its own copy, not the store's `isPlainObject`: `toModelMessages` is in the root entry too, and a
// module shared with the store would pull this file's chunk into every app that has a store.
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: string): Record<string, unknown> | null {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : null;
  } catch {
    return null;
  }
}

function resultText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * What a stored execution sends as the call's result, and whether it is an error; `null` while
 * it has none (`running`, `awaiting-approval`): then the call is sent as one without a result.
 */
function executionResult(execution: ToolCall['execution']): { result: string; isError: boolean } | null {
  switch (execution?.state) {
    case 'done':
      return { result: resultText(execution.result ?? null), isError: false };
    case 'error':
      return { result: `Error: ${execution.error}`, isError: true };
    case 'denied':
      return { result: execution.reason ? `${DENIED_TOOL_RESULT} Reason: ${execution.reason}` : DENIED_TOOL_RESULT, isError: true };
    case 'cancelled':
      return { result: execution.reason === 'stopped' ? CANCELLED_TOOL_RESULT : DISCONNECTED_TOOL_RESULT, isError: true };
    default:
      return null;
  }
}

function noteText(note: boolean | string | undefined): string | null {
  if (note === true) return DEFAULT_STOPPED_NOTE;
  if (typeof note === 'string' && note.trim() !== '') return note;
  return null;
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

/** The call's arguments: a complete call's own text when it is a JSON object (sent back verbatim), else its parsed value. */
function callArguments(call: ToolCall): { arguments: string; input: Record<string, unknown> } {
  if (call.state === 'complete') {
    const fromText = parseObject(call.argsText);
    if (fromText) return { arguments: call.argsText, input: isPlainObject(call.args) ? call.args : fromText };
  }
  // An unfinished call's text is cut JSON: only its partial parsed value can be sent.
  const input = isPlainObject(call.args) ? call.args : {};
  return { arguments: JSON.stringify(input), input };
}

/** Options with `incomplete` in its object form. */
type Resolved = ToModelMessagesOptions & { incomplete: IncompleteHistoryOptions };

function toTurn(message: Message, options: Resolved): Turn | null {
  if (message.role === 'user') return isBlank(message.text) ? null : { role: 'user', text: message.text, calls: [], reasoning: [] };

  // `stopping`: the user said stop and the stop is still under way (a new turn started right
  // after a click builds its history in that moment); it is a stopped answer already.
  const stopped = message.status === 'stopping' || (message.status === 'incomplete' && message.incomplete?.reason === 'cancelled');
  const close = options.incomplete.toolCalls === 'close';
  const results = options.toolResults;
  const calls: SendableCall[] = [];
  const positions: number[] = [];
  for (const [position, call] of message.toolCalls.entries()) {
    if (!call.name) continue;
    // The `toolResults` option first (results the app keeps elsewhere), then the stored execution.
    const given = results !== undefined && Object.hasOwn(results, call.id) && results[call.id] !== undefined;
    const outcome = given ? { result: resultText(results[call.id]), isError: false } : executionResult(call.execution);
    if (!outcome && !close) continue;
    const { result, isError } = outcome ?? {
      result: call.state === 'complete' ? MISSING_TOOL_RESULT : stopped ? STOPPED_TOOL_RESULT : INTERRUPTED_TOOL_RESULT,
      isError: true,
    };
    calls.push({ id: call.id, name: call.name, ...callArguments(call), result, isError });
    positions.push(position);
  }

  // Only Chat has a request field for a refusal; elsewhere it is the answer's text when there is no other.
  const refused = message.refusal && !isBlank(message.refusal) ? message.refusal : '';
  const chat = (options.format ?? 'openai-chat') === 'openai-chat';
  const modelText = isBlank(message.text) ? (chat ? '' : refused) : message.text;
  const refusal = chat ? refused : '';
  // Placed against the model's own text: the note below is ours, no reasoning block precedes it.
  const reasoning = options.reasoning === false || chat ? [] : turnReasoning(message, modelText, positions, options.format === 'anthropic' ? 'anthropic' : 'openai');
  let text = modelText;
  const note = stopped ? noteText(options.incomplete.note) : null;
  if (note) text = text ? `${text.trimEnd()}\n\n${note}` : note;
  if (!text && calls.length === 0 && !refusal) return null;
  return refusal ? { role: 'assistant', text, calls, reasoning, refusal } : { role: 'assistant', text, calls, reasoning };
}

/**
 * Turns the store's messages (oldest first, e.g. `getConversationMessages(state, id)`) into the
 * messages of a provider request, so that a conversation with stopped or cut-off answers can be
 * sent back without the provider rejecting it:
 *
 * - `'openai-chat'`: `{ role, content }`; an assistant message with `tool_calls` is followed by one
 *   `role: 'tool'` message per call.
 * - `'openai-responses'`: `input` items — `{ type: 'message', role, content }`, then
 *   `function_call` items each matched by a `function_call_output`.
 * - `'anthropic'`: `{ role, content: blocks }`; `tool_use` blocks are answered by `tool_result`
 *   blocks at the start of the next user message; same-role neighbours are merged.
 *
 * A tool call is sent only with a result — from `toolResults`, from its stored `execution`
 * (`done`, `error`, `denied`, `cancelled`; see `setToolExecution`), or a synthetic "not run" result with
 * `incomplete.toolCalls: 'close'` (or `incomplete: 'close'`); otherwise it is dropped with its
 * pairing (the default). `incomplete.note` marks answers the user stopped. Reasoning blocks go
 * back in stream order where the format takes them (Anthropic thinking with signatures and redacted
 * thinking, Responses reasoning items; `reasoning: false` leaves them out); a refusal goes back as
 * Chat's `refusal`, elsewhere as text. Empty turns are skipped. `format` defaults to `'openai-chat'`. Pure; the input is not changed.
 *
 * @example
 * ```ts
 * import { getConversationMessages, toModelMessages } from 'react-model-stream/store';
 *
 * const history = getConversationMessages(store.getState(), conversationId);
 * const messages = toModelMessages(history, {
 *   format: 'openai-chat',
 *   toolResults: { call_abc: { temperature: 11 } },
 *   incomplete: { toolCalls: 'close', note: true },
 * });
 * await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [system, ...messages], stream: true });
 * ```
 *
 * @example
 * ```ts
 * // Anthropic: the history as content blocks, stopped answers marked.
 * const messages = toModelMessages(history, { format: 'anthropic', incomplete: { note: true } });
 * await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages });
 * ```
 */
export function toModelMessages(
  messages: readonly Message[],
  options?: ToModelMessagesOptions & { format?: 'openai-chat' | undefined },
): OpenAIChatMessage[];
export function toModelMessages(
  messages: readonly Message[],
  options: ToModelMessagesOptions & { format: 'openai-responses' },
): OpenAIResponsesInputItem[];
export function toModelMessages(messages: readonly Message[], options: ToModelMessagesOptions & { format: 'anthropic' }): AnthropicMessage[];
export function toModelMessages(
  messages: readonly Message[],
  options: ToModelMessagesOptions,
): OpenAIChatMessage[] | OpenAIResponsesInputItem[] | AnthropicMessage[];
export function toModelMessages(
  messages: readonly Message[],
  options: ToModelMessagesOptions = {},
): OpenAIChatMessage[] | OpenAIResponsesInputItem[] | AnthropicMessage[] {
  const { incomplete } = options;
  const resolved: Resolved = { ...options, incomplete: typeof incomplete === 'string' ? { toolCalls: incomplete } : (incomplete ?? {}) };
  const turns: Turn[] = [];
  for (const message of messages) {
    const turn = toTurn(message, resolved);
    if (turn) turns.push(turn);
  }
  switch (options.format ?? 'openai-chat') {
    case 'openai-chat':
      return toOpenAIChat(turns);
    case 'openai-responses':
      return toOpenAIResponses(turns);
    case 'anthropic':
      return toAnthropic(turns);
    default:
      throw new TypeError(
        `toModelMessages: unknown format ${JSON.stringify((options as { format: unknown }).format)}; use 'openai-chat', 'openai-responses' or 'anthropic'.`,
      );
  }
}

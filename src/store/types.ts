import type { StateStorage } from 'zustand/middleware';
import type { StoreApi } from 'zustand/vanilla';
import type { AccumulatedMessage, ToolCallState } from '../core/accumulator';
import type { IncompleteInfo, IncompleteReason, StreamSessionSnapshot, StreamStatus } from '../core/createStreamSession';
import type { FinishReason, MessageExtras, ReasoningPart, Usage } from '../core/types';

// The vocabularies are core's; the store only re-exports them (type-only: no runtime import).
export type { FinishReason, IncompleteReason, ReasoningPart, ToolCallState, Usage };

/** One tool call of an assistant message. `args` is the (partial) parsed value, `null` when nothing parses. */
export type ToolCall = {
  id: string;
  name: string;
  /** 0-based ordinal in order of first appearance. */
  index: number;
  argsText: string;
  args: unknown;
  state: ToolCallState;
  /** Where running the call stands, and its result. Absent: nobody has run it (yet). Set with `setToolExecution`. */
  execution?: ToolExecution;
};

/**
 * Where the execution of a tool call stands, kept on the call (`ToolCall.execution`) next to its
 * argument state, so a reload or another tab shows it and `toModelMessages` sends its result.
 * Persisted with the message: `result` must be JSON-serializable (a `Date` comes back as a
 * string, `undefined` or a function is lost, a `BigInt` or a cycle fails the write).
 *
 * @example
 * ```ts
 * const { setToolExecution } = store.getState();
 * setToolExecution(messageId, call.id, { state: 'running' });
 * try {
 *   setToolExecution(messageId, call.id, { state: 'done', result: await getWeather(call.args) });
 * } catch (error) {
 *   setToolExecution(messageId, call.id, { state: 'error', error: String(error) });
 * }
 * ```
 */
export type ToolExecution =
  | { state: 'awaiting-approval' }
  | { state: 'running' }
  | { state: 'done'; result: unknown }
  | { state: 'error'; error: string }
  | { state: 'denied'; reason?: string }
  /** `stopped`: the user stopped the run; `disconnected`: the page went away while it ran (set on reload). */
  | { state: 'cancelled'; reason: 'stopped' | 'disconnected' };

/** Where a message stands. `streaming` and `stopping` are live; `complete` and `incomplete` are terminal. */
export type MessageStatus = 'streaming' | 'stopping' | 'complete' | 'incomplete';

/** What is known about an `incomplete` message. */
export type MessageIncomplete = {
  reason: IncompleteReason;
  /** For `cancelled`: whether the server confirmed the stop (the model really stopped). */
  serverConfirmed?: boolean;
  /** A human-readable error, when one applies. */
  error?: string;
};

/**
 * A chat message. An immutable value: an update replaces the object, and only the message that
 * changed, so a selector on another message never re-renders. `refusal`, `annotations`,
 * `stopSequence` and `reasoningParts` (see the core's `MessageExtras`) are present only when the
 * stream carried them; `reasoningParts` keeps what a history builder must send back (Anthropic
 * thinking signatures and redacted blocks, OpenAI Responses reasoning items).
 */
export type Message = Omit<MessageExtras, 'reasoning'> & {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  usage: Usage | null;
  status: MessageStatus;
  /** Normalized, see `docs/FORMATS.md`. */
  finishReason: FinishReason | null;
  /** Present only while `status` is `incomplete`. */
  incomplete?: MessageIncomplete;
  /** The client-chosen id of the stream that produced this message (used by the cancel endpoint). */
  streamId?: string;
  /** The provider's response / message id (`chatcmpl-…`, `resp_…`, `msg_…`). */
  responseId?: string;
  createdAt: number;
  updatedAt: number;
};

/**
 * A conversation: ordered message ids. The object (and its `messageIds` array) is replaced only
 * when a message is added or removed or the title changes — never while one of its messages streams.
 */
export type Conversation = {
  id: string;
  title?: string;
  messageIds: string[];
  createdAt: number;
  /** When a message was added or removed, or the title changed (not on every streamed delta). */
  updatedAt: number;
};

/** The data half of the store state: what is persisted. */
export type MessageStoreData = {
  conversations: Record<string, Conversation>;
  messages: Record<string, Message>;
};

/** What `appendMessage` takes: `role` is required, everything else has a default. */
export type NewMessage = Partial<Omit<Message, 'role'>> & { role: Message['role'] };

/**
 * A change to a message. `id` and `createdAt` never change. A key set to `undefined` removes an
 * optional field (e.g. `{ incomplete: undefined }` when a message is resumed).
 */
export type MessagePatch = Partial<Omit<Message, 'id' | 'createdAt'>>;

/** The actions, kept on the state (the zustand idiom): `store.getState().appendMessage(…)`. */
export type MessageStoreActions = {
  /** Creates a conversation (id from `generateId` when absent) and returns it; returns the existing one when the id is taken. */
  createConversation(input?: { id?: string; title?: string }): Conversation;
  /** Changes a conversation's title. No-op for an unknown id or an unchanged title. */
  updateConversation(conversationId: string, patch: { title?: string }): void;
  /**
   * Appends a message to a conversation (created on the fly when unknown) and returns it. Defaults:
   * id from `generateId`, empty text/reasoning/tool calls, `usage: null`, `status: 'complete'`,
   * `finishReason: null`, `createdAt`/`updatedAt` from `now()`. Throws when the id is already used.
   */
  appendMessage(conversationId: string, message: NewMessage): Message;
  /**
   * Applies a patch (or a function of the current message returning one). When every key of the
   * patch already holds that value (compared with `Object.is`, and by value for the small `usage`
   * and `incomplete` objects) nothing happens: the state object stays the same and no subscriber
   * is called. Otherwise the message is replaced (`updatedAt` from `now()` unless the patch sets it),
   * the `messages` record is replaced, and everything else — other messages, the conversation, its
   * `messageIds` — keeps its identity. Returns the message after the update, `undefined` for an unknown id.
   */
  updateMessage(messageId: string, patch: MessagePatch | ((message: Message) => MessagePatch)): Message | undefined;
  /** `updateMessage(messageId, messagePatchFromSession(snapshot))`, keeping the executions of the message's tool calls (by id): mirrors a stream session into a message. */
  applySessionSnapshot(messageId: string, snapshot: SessionSnapshotLike): Message | undefined;
  /**
   * Sets (or, with `undefined`, removes) the execution of one tool call of a message. No-op for an
   * unknown message or tool-call id, or an equal execution (compared by value). Only that message
   * is replaced (its `updatedAt` moves, so another tab takes it); written to storage at once.
   * A session snapshot applied later keeps it (`applySessionSnapshot` merges by tool-call id).
   *
   * @example
   * ```ts
   * setToolExecution(messageId, call.id, { state: 'awaiting-approval' });
   * // The user clicked "Deny":
   * setToolExecution(messageId, call.id, { state: 'denied', reason: 'Not this file' });
   * ```
   */
  setToolExecution(messageId: string, toolCallId: string, execution: ToolExecution | undefined): Message | undefined;
  /** Removes a message from the store and from its conversation. No-op for an unknown id. */
  removeMessage(messageId: string): void;
  /** Removes a conversation and all its messages. No-op for an unknown id. */
  removeConversation(conversationId: string): void;
  /** Removes every conversation and message (and, with persistence, writes the empty state). */
  clear(): void;
};

/** The store state: data plus actions. */
export type MessageStoreState = MessageStoreData & MessageStoreActions;

/*
 * The session input of `applySessionSnapshot` / `messagePatchFromSession`: the core's own types
 * (`StreamSessionSnapshot`, `IncompleteInfo`, `AccumulatedMessage`; imported for types only, so the
 * store's bundle holds no session), with the fields the store reads. Two are open beyond the
 * core's vocabulary on purpose: `status` and `incomplete.reason` may come from a newer session than
 * this store knows (an app with two copies of the package), and are then mapped, not dropped
 * (`messagePatchFromSession`). `error` stays `unknown`: the store reads a message from any error.
 */

/** The session's `incomplete` (the core's `IncompleteInfo`); a `reason` this version does not know maps to `error`. */
export type SessionIncompleteLike = Omit<IncompleteInfo, 'reason'> & { readonly reason: IncompleteReason | (string & {}) };

/** The accumulated message inside a session snapshot: the core's `AccumulatedMessage`, the fields the store reads. */
export type SessionMessageLike = Pick<AccumulatedMessage, 'id' | 'text' | 'reasoning' | 'toolCalls' | 'usage' | 'finishReason'> &
  Partial<Pick<AccumulatedMessage, 'error' | 'refusal' | 'annotations' | 'stopSequence' | 'reasoningParts'>>;

/**
 * A stream session snapshot (the core's `StreamSessionSnapshot`, which it accepts as is), the
 * fields the store reads: `{ status, message, incomplete, error, streamId, responseId }`.
 */
export type SessionSnapshotLike = Pick<StreamSessionSnapshot, 'streamId' | 'responseId'> & {
  /** `idle` | `connecting` | `streaming` | `reconnecting` | `stopping` | `complete` | `incomplete` (the core's `StreamStatus`). */
  readonly status: StreamStatus | (string & {});
  readonly message: SessionMessageLike;
  readonly incomplete: SessionIncompleteLike | null;
  readonly error?: unknown;
};

/** Persistence options (zustand `persist`). */
export type MessageStorePersistOptions = {
  /** Storage key. Default `'react-model-stream'`. */
  name?: string;
  /**
   * Where to keep the state. Default `localStorage`; when there is none (SSR, a worker, storage
   * blocked by the browser) the store runs without persistence. Any zustand `StateStorage`
   * (sync or async) works.
   */
  storage?: StateStorage;
  /** Schema version written with the state. A stored state of another version is dropped unless `migrate` handles it. Default `0`. */
  version?: number;
  /** Turns a stored state of an older `version` into the current data shape. */
  migrate?: (persistedState: unknown, version: number) => MessageStoreData | Promise<MessageStoreData>;
  /**
   * Longest time a streamed change waits before it is written, in ms. Default `500`. Structural
   * changes (a message or conversation added or removed, a title, any message status change — so
   * every terminal state) are written at once, and so is everything pending when the page is hidden
   * (`pagehide`, `visibilitychange`). `0` writes on every update (zustand's own behaviour).
   */
  throttleMs?: number;
  /** Called when writing to the storage fails (quota, private mode). Default: `console.warn`. The store keeps working. */
  onError?: (error: unknown) => void;
  /**
   * Merge what other tabs write to the same key, so that two tabs never overwrite each other's
   * conversations: each shows the other's new and updated messages (a stream in one tab shows in
   * the other at the write throttle's pace), and a deletion in one tab reaches the other. Default
   * `true` on `localStorage` (the browser's `storage` event), `false` for another storage.
   */
  crossTab?: boolean;
};

export type MessageStoreOptions = {
  /** Turns on persistence; `true` means all defaults (localStorage). */
  persist?: boolean | MessageStorePersistOptions;
  /** Clock for `createdAt` / `updatedAt` (ms). Default `Date.now`. */
  now?: () => number;
  /** Id generator for conversations and messages. Default `crypto.randomUUID()`. */
  generateId?: () => string;
};

/** The zustand `persist` API of a persisted store (`rehydrate`, `hasHydrated`, `clearStorage`, …). */
export type MessageStorePersistApi = {
  rehydrate: () => Promise<void>;
  hasHydrated: () => boolean;
  clearStorage: () => void;
  onHydrate: (fn: (state: MessageStoreState) => void) => () => void;
  onFinishHydration: (fn: (state: MessageStoreState) => void) => () => void;
};

/** A vanilla zustand store of conversations and messages. */
export type MessageStore = StoreApi<MessageStoreState> & {
  /** The zustand `persist` API, or `undefined` when persistence is off or unavailable (SSR). */
  persist?: MessageStorePersistApi;
  /** Writes any throttled state to the storage now. No-op without persistence or when nothing is pending. */
  flushPersisted(): void;
};

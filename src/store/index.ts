/**
 * `react-model-stream/store`: a zustand **vanilla** store of conversations and messages, with
 * optional persistence that repairs messages a reload left streaming. No React here; the hooks in
 * `react-model-stream` read this store through `useSyncExternalStore`.
 *
 * Decisions (see each function's TSDoc):
 * - State is `{ conversations, messages }`, records keyed by id; a conversation keeps ordered
 *   `messageIds`. A streamed update replaces one message and the `messages` record, never the
 *   conversation, so list selectors and other messages keep their identity.
 * - Actions live on the state (zustand's idiom): `store.getState().appendMessage(…)`.
 * - `updateMessage` is a no-op (same state, no notification) when the patch changes nothing.
 * - Persistence writes streamed text at most every `throttleMs` (500 ms), structure and status
 *   changes (so every final state) at once, and flushes when the page is hidden.
 */
export { createMessageStore, DEFAULT_PERSIST_THROTTLE_MS, DEFAULT_STORAGE_NAME } from './createMessageStore';
export { getConversationMessages } from './getConversationMessages';
export { messagePatchFromSession } from './messagePatchFromSession';
export { repairInterruptedMessage, repairInterruptedMessages } from './repairInterruptedMessages';
export { MessageStoreError, type MessageStoreErrorType } from './MessageStoreError';
export { toModelMessages, DEFAULT_STOPPED_NOTE, STOPPED_TOOL_RESULT, INTERRUPTED_TOOL_RESULT, MISSING_TOOL_RESULT, DENIED_TOOL_RESULT, CANCELLED_TOOL_RESULT, DISCONNECTED_TOOL_RESULT, type ToModelMessagesOptions, type IncompleteHistoryOptions, type ModelMessageFormat, type OpenAIChatMessage, type OpenAIChatToolCall, type OpenAIResponsesInputItem, type OpenAIResponsesReasoningSummary, type AnthropicMessage, type AnthropicContentBlock } from './toModelMessages';
export type {
  Conversation,
  FinishReason,
  IncompleteReason,
  Message,
  MessageIncomplete,
  MessagePatch,
  MessageStatus,
  MessageStore,
  MessageStoreActions,
  MessageStoreData,
  MessageStoreOptions,
  MessageStorePersistApi,
  MessageStorePersistOptions,
  MessageStoreState,
  NewMessage,
  SessionIncompleteLike,
  SessionMessageLike,
  SessionSnapshotLike,
  ToolCall,
  ToolCallState,
  ToolExecution,
  Usage,
} from './types';

import { isPlainObject } from './isPlainObject';
import type { Conversation, Message, MessageStoreData, ToolCall } from './types';

/**
 * What the storage holds was written by another version of the app, another tab or another
 * library: read with `sanitizeStoredData` before use, a corrupted or foreign entry must not crash
 * the app.
 */

/**
 * The call less a malformed `execution`, i.e. not a `ToolExecution` as `setToolExecution` stores it
 * (a `done` result may be any JSON, or none): the call and its message are kept.
 */
function sanitizeToolCall(call: Record<string, unknown>): ToolCall {
  const { execution: e, ...rest } = call;
  if (e === undefined) return call as ToolCall;
  const { state, reason, error }: Record<string, unknown> = isPlainObject(e) ? e : {};
  const valid =
    state === 'error' ? typeof error === 'string'
    : state === 'cancelled' ? reason === 'stopped' || reason === 'disconnected'
    : state === 'denied' ? reason === undefined || typeof reason === 'string'
    : state === 'running' || state === 'awaiting-approval' || state === 'done';
  return (valid ? call : rest) as ToolCall;
}

/** The data shape in a stored state, less whatever is not that shape; `null` when there is none. */
export function sanitizeStoredData(persisted: unknown): MessageStoreData | null {
  if (!isPlainObject(persisted) || !isPlainObject(persisted.conversations) || !isPlainObject(persisted.messages)) return null;
  const messages: [string, Message][] = [];
  for (const [id, message] of Object.entries(persisted.messages)) {
    if (isPlainObject(message) && typeof message.id === 'string' && typeof message.status === 'string' && typeof message.text === 'string') {
      // A corrupted tool call must not fail the whole hydration (zustand would then start empty and
      // the next write would overwrite the stored history): only object entries are kept.
      const toolCalls = Array.isArray(message.toolCalls) ? message.toolCalls.filter(isPlainObject).map(sanitizeToolCall) : [];
      messages.push([id, { ...message, toolCalls } as Message]);
    }
  }
  const conversations: [string, Conversation][] = [];
  for (const [id, conversation] of Object.entries(persisted.conversations)) {
    if (isPlainObject(conversation) && Array.isArray(conversation.messageIds)) {
      const messageIds = conversation.messageIds.filter((messageId): messageId is string => typeof messageId === 'string');
      conversations.push([id, { ...conversation, messageIds } as Conversation]);
    }
  }
  return { conversations: Object.fromEntries(conversations), messages: Object.fromEntries(messages) };
}

import { isPlainObject } from './isPlainObject';
import type { Conversation, Message, MessageStoreData, ToolCall } from './types';

/**
 * What the storage holds was written by another version of the app, another tab or another
 * library: read with `sanitizeStoredData` before use, a corrupted or foreign entry must not crash
 * the app.
 */

/** A `ToolExecution` as `setToolExecution` stores it (a `done` result may be any JSON, or none). */
function isExecution(e: unknown): boolean {
  if (!isPlainObject(e)) return false;
  const { state, reason } = e;
  if (state === 'error') return typeof e.error === 'string';
  if (state === 'cancelled') return reason === 'stopped' || reason === 'disconnected';
  if (state === 'denied') return reason === undefined || typeof reason === 'string';
  return state === 'running' || state === 'awaiting-approval' || state === 'done';
}

/** The call less a malformed `execution` (the call and its message are kept). */
function sanitizeToolCall(call: Record<string, unknown>): ToolCall {
  if (call.execution === undefined || isExecution(call.execution)) return call as ToolCall;
  const copy = { ...call };
  delete copy.execution;
  return copy as ToolCall;
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

import { MessageStoreError } from './MessageStoreError';
import { keepExecutions } from './keepExecutions';
import { messagePatchFromSession } from './messagePatchFromSession';
import { patchMessage } from './patchMessage';
import { getOwn, withEntry, withoutEntries } from './record';
import { toolExecutionPatch } from './toolExecutionPatch';
import type { Conversation, Message, MessageStoreActions, MessageStoreData, MessageStoreOptions, MessageStoreState, NewMessage } from './types';
import type { WriteState } from './WriteState';

/**
 * The store's state and actions (kept on the state, zustand's idiom), apart from how the state is
 * kept: the actions read it with `get`, replace only what changed with `set`, and tell a persisted
 * store's writer (through the shared `WriteState`) which changes must be written at once —
 * structure and status changes, so every final state — rather than at the stream throttle's pace.
 */

function newConversation(id: string, title: string | undefined, at: number): Conversation {
  const conversation: Conversation = { id, messageIds: [], createdAt: at, updatedAt: at };
  if (title !== undefined) conversation.title = title;
  return conversation;
}

function newMessage(id: string, input: NewMessage, at: number): Message {
  const message: Message = {
    id,
    role: input.role,
    text: input.text ?? '',
    reasoning: input.reasoning ?? '',
    toolCalls: input.toolCalls ?? [],
    usage: input.usage ?? null,
    status: input.status ?? 'complete',
    finishReason: input.finishReason ?? null,
    createdAt: input.createdAt ?? at,
    updatedAt: input.updatedAt ?? at,
  };
  if (input.incomplete !== undefined && message.status === 'incomplete') message.incomplete = input.incomplete;
  if (input.streamId !== undefined) message.streamId = input.streamId;
  if (input.responseId !== undefined) message.responseId = input.responseId;
  for (const key of ['refusal', 'annotations', 'stopSequence', 'reasoningParts'] as const) if (input[key] !== undefined) (message as Record<string, unknown>)[key] = input[key];
  return message;
}

/** The conversations less `messageId` in their lists (each one that held it is replaced). */
function withoutMessageId(conversations: Record<string, Conversation>, messageId: string, at: number): Record<string, Conversation> {
  let next = conversations;
  for (const [id, conversation] of Object.entries(conversations)) {
    if (!conversation.messageIds.includes(messageId)) continue;
    next = withEntry(next, id, { ...conversation, messageIds: conversation.messageIds.filter((other) => other !== messageId), updatedAt: at });
  }
  return next;
}

/** The initial state (no conversations, no messages) and the actions of a store whose state `set` and `get` keep (zustand's state creator). */
export function createMessageState(set: (partial: Partial<MessageStoreData>) => unknown, get: () => MessageStoreState, write: WriteState, options: MessageStoreOptions): MessageStoreState {
  const now = options.now ?? Date.now;
  const generateId = options.generateId ?? (() => globalThis.crypto.randomUUID());
  const commit = (partial: Partial<MessageStoreData>, urgent: boolean) => {
    if (urgent) write.urgent = true;
    try {
      set(partial);
    } finally {
      write.urgent = false;
    }
  };

  // `urgent`: write at once (an execution, like a status, is a state the user must find after a reload).
  const updateMessage = (messageId: string, patchOrFn: Parameters<MessageStoreActions['updateMessage']>[1], urgent?: boolean) => {
    const { messages } = get();
    const current = getOwn(messages, messageId);
    if (!current) return undefined;
    const message = patchMessage(current, typeof patchOrFn === 'function' ? patchOrFn(current) : patchOrFn, now);
    if (!message) return current;
    commit({ messages: withEntry(messages, messageId, message) }, urgent || message.status !== current.status);
    return message;
  };

  return {
    conversations: {},
    messages: {},
    createConversation(input = {}) {
      const { conversations } = get();
      const id = input.id ?? generateId();
      const existing = getOwn(conversations, id);
      if (existing) return existing;
      const conversation = newConversation(id, input.title, now());
      commit({ conversations: withEntry(conversations, id, conversation) }, true);
      return conversation;
    },
    updateConversation(conversationId, patch) {
      const { conversations } = get();
      const conversation = getOwn(conversations, conversationId);
      if (!conversation || !Object.hasOwn(patch, 'title') || conversation.title === patch.title) return;
      // The same `messageIds` array: a title change does not touch the message list's memo.
      const next: Conversation = { ...conversation, updatedAt: now() };
      if (patch.title === undefined) delete next.title;
      else next.title = patch.title;
      commit({ conversations: withEntry(conversations, conversationId, next) }, true);
    },
    appendMessage(conversationId, input) {
      const { conversations, messages } = get();
      const id = input.id ?? generateId();
      if (Object.hasOwn(messages, id)) {
        throw new MessageStoreError(
          'duplicate-message-id',
          `A message with id "${id}" is already in the store. Use updateMessage to change it, or leave the id out to get a fresh one.`,
        );
      }
      const at = now();
      const message = newMessage(id, input, at);
      const conversation = getOwn(conversations, conversationId) ?? newConversation(conversationId, undefined, at);
      const nextConversation: Conversation = { ...conversation, messageIds: [...conversation.messageIds, id], updatedAt: at };
      commit({ conversations: withEntry(conversations, conversationId, nextConversation), messages: withEntry(messages, id, message) }, true);
      return message;
    },
    updateMessage,
    applySessionSnapshot: (messageId, snapshot) => updateMessage(messageId, (message) => keepExecutions(messagePatchFromSession(snapshot), message)),
    setToolExecution: (messageId, toolCallId, execution) => updateMessage(messageId, (message) => toolExecutionPatch(message, toolCallId, execution, now()), true),
    removeMessage(messageId) {
      const { conversations, messages } = get();
      if (!Object.hasOwn(messages, messageId)) return;
      commit({ conversations: withoutMessageId(conversations, messageId, now()), messages: withoutEntries(messages, [messageId]) }, true);
    },
    removeConversation(conversationId) {
      const { conversations, messages } = get();
      const conversation = getOwn(conversations, conversationId);
      if (!conversation) return;
      commit({ conversations: withoutEntries(conversations, [conversationId]), messages: withoutEntries(messages, conversation.messageIds) }, true);
    },
    clear() {
      commit({ conversations: {}, messages: {} }, true);
    },
  };
}

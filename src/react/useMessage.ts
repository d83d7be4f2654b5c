'use client';
import { useCallback, useSyncExternalStore } from 'react';
import { getConversationMessages } from '../store/getConversationMessages';
import { getOwn } from '../store/record';
import type { Message, MessageStore } from '../store/types';

// Read with React's own `useSyncExternalStore` rather than zustand's `useStore`: zustand is an
// optional peer, and the main entry must load in an app that does not use the store.
//
// While hydrating server HTML, React reads the server snapshot: the store's initial state, before
// a persisted store read its storage (the server has no localStorage, so its HTML shows that
// state). The stored messages then show in the render right after hydration, with no mismatch.
// zustand's own `useStore` does the same.

/**
 * One message of a store, by id; `undefined` when the store has no such message. Re-renders only
 * when that message changes: the store replaces only the message that changed, so a message
 * streaming elsewhere (same conversation or another) does not render this component.
 *
 * @example
 * ```tsx
 * function Bubble({ id }: { id: string }) {
 *   const message = useMessage(store, id);
 *   if (!message) return null;
 *   return <p data-status={message.status}>{message.text}</p>;
 * }
 * ```
 */
export function useMessage(store: MessageStore, messageId: string): Message | undefined {
  const select = useCallback(() => getOwn(store.getState().messages, messageId), [store, messageId]);
  const selectInitial = useCallback(() => getOwn(store.getInitialState().messages, messageId), [store, messageId]);
  return useSyncExternalStore(store.subscribe, select, selectInitial);
}

/**
 * The messages of one conversation, oldest first (`getConversationMessages` as a hook). The same
 * array while neither the conversation's list nor any of its messages changed, so a message
 * streaming in another conversation does not render this component. An unknown conversation
 * gives an empty array.
 *
 * @example
 * ```tsx
 * function Transcript({ conversationId }: { conversationId: string }) {
 *   const messages = useConversationMessages(store, conversationId);
 *   return <ol>{messages.map((m) => <li key={m.id}>{m.role}: {m.text}</li>)}</ol>;
 * }
 * ```
 */
export function useConversationMessages(store: MessageStore, conversationId: string): readonly Message[] {
  const select = useCallback(() => getConversationMessages(store.getState(), conversationId), [store, conversationId]);
  const selectInitial = useCallback(() => getConversationMessages(store.getInitialState(), conversationId), [store, conversationId]);
  return useSyncExternalStore(store.subscribe, select, selectInitial);
}

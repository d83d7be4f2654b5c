import type { MessageStoreData, MessageStoreState } from './types';

/* What of the state is persisted, and what another tab's write is merged with: the data, not the actions. */

/** The data half of a store state. */
export function partialize(state: MessageStoreState): MessageStoreData {
  return { conversations: state.conversations, messages: state.messages };
}

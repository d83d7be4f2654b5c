import type { MessageStore } from '../store/types';
import type { Turn } from './types';

/**
 * The lanes of one owner: a lane is where turns run one at a time and the current or last turn
 * is kept (docs/store.md#lanes-and-turns). A store's lanes are its conversations, shared by every
 * hook on it; a hook without a store has one lane of its own (`OWN`). External to React (read with
 * `useSyncExternalStore`), so that every hook on a lane sees a turn the moment it starts, whoever
 * started it, and a start inside a transition is not deferred (a Stop must find the stream at once).
 */
export type Lanes<Client = unknown> = { running: Map<string, Turn<Client>>; listeners: Set<() => void> };
// (A lane keeps its last turn after it ended: one entry per conversation, freed with the store.)

export function createLanes<Client>(): Lanes<Client> {
  return { running: new Map(), listeners: new Set() };
}

/** Makes `turn` the lane's current one and tells every listener of these lanes. */
export function setLane<Client>(lanes: Lanes<Client>, key: string, turn: Turn<Client>): void {
  lanes.running.set(key, turn);
  for (const listener of [...lanes.listeners]) listener();
}

/**
 * Turns kept in a shared store outlive the component that started them: every component on the
 * same store and conversation finds them here, including one that mounts later.
 */
const lanesOfStore = new WeakMap<MessageStore, Lanes>();

function lanesOf<Client>(store: MessageStore): Lanes<Client> {
  let lanes = lanesOfStore.get(store);
  if (!lanes) lanesOfStore.set(store, (lanes = createLanes()));
  return lanes as Lanes<Client>;
}

/** The key of a hook's own lane (in its own `Lanes`). */
export const OWN = 'local';

/** The lane `options` name: the store's conversation, or the owner's own (`own`). */
export function laneOf<Client>(options: { store?: MessageStore; conversationId?: string }, own: Lanes<Client>): { lanes: Lanes<Client>; key: string } {
  return options.store ? { lanes: lanesOf(options.store), key: options.conversationId ?? 'default' } : { lanes: own, key: OWN };
}

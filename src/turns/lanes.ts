import type { MessageStore } from '../store/types';
import type { Turn } from './types';

/**
 * The lanes of one owner, by key: a lane is where turns run one at a time and the current or last
 * turn is kept (docs/store.md#lanes-and-turns). A store's lanes are its conversations, shared by
 * every hook on it; a hook without a store has one lane of its own (`Lane.OWN`). External to React
 * (read with `useSyncExternalStore`), so that every hook on a lane sees a turn the moment it
 * starts, whoever started it, and a start inside a transition is not deferred (a Stop must find
 * the stream at once).
 */
export type Lanes<Client = unknown> = Map<string, Turn<Client>>;
// (A lane keeps its last turn after it ended: one entry per conversation, freed with the store.)

/** What names a lane: a store and conversation, or no store (the owner's own lane). */
export type LaneOptions = { store?: MessageStore; conversationId?: string };

/**
 * Who listens to lanes: one set for all of them. A start is rare (a user's action), and each
 * listener's `get` tells React whether its own lane changed, so one set costs nothing a per-lane
 * one would save, and a subscription need not follow a hook from one store to another.
 */
const listeners = new Set<() => void>();

/** Listens to every lane; returns the unsubscribe. */
export function subscribeToLanes(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Turns kept in a shared store outlive the component that started them: every component on the
 * same store and conversation finds them here, including one that mounts later.
 */
const lanesOfStore = new WeakMap<MessageStore, Lanes>();

/** The key of a hook's own lane (in its own `Lanes`); an enum so a bundler writes the value in place. */
export enum Lane {
  OWN = 'local',
}

/** The lane `options` name, as its lanes and key: the store's conversation, or the owner's own (in `own`). */
export function laneOf<Client>(options: LaneOptions, own: Lanes<Client>): [Lanes<Client>, string] {
  const { store } = options;
  if (!store) return [own, Lane.OWN];
  let lanes = lanesOfStore.get(store) as Lanes<Client> | undefined;
  if (!lanes) lanesOfStore.set(store, (lanes = new Map()));
  return [lanes, options.conversationId ?? 'default'];
}

/** Tells every listener that a lane has a new turn. */
export function notifyLanes(): void {
  for (const listener of [...listeners]) listener();
}

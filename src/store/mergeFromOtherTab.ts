import type { Conversation, Message, MessageStoreData } from './types';

// Loaded on demand (loadTabMerge.ts): this module imports none of the library's code at run time,
// so bundlers split off no shared chunk that every app would download (docs/size.md). Hence its own
// `getOwn` (record.ts has the same).

/** The record's own entry for `key`, or `undefined` (an id like `__proto__` is a plain key). */
const getOwn = <T>(record: Record<string, T>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

/** What {@link mergeFromOtherTab} found. */
export type OtherTabMerge = {
  /** The merged data: `ours` itself when nothing of theirs was new. */
  data: MessageStoreData;
  /** `data` differs from `ours` (this tab must show it). */
  changed: boolean;
  /** The storage lacks something this tab has or has newer (this tab must write). */
  behind: boolean;
};

/** A copy-on-write record: copied on the first change only, so an unchanged record keeps its identity. */
function editable<T>(record: Record<string, T>) {
  let copy: Record<string, T> | null = null;
  return {
    set(id: string, value: T) {
      copy ??= { ...record };
      // defineProperty, not assignment: an id like `__proto__` stays a plain key.
      Object.defineProperty(copy, id, { value, enumerable: true, writable: true, configurable: true });
    },
    delete(id: string) {
      copy ??= { ...record };
      delete copy[id];
    },
    get: () => copy ?? record,
  };
}

/**
 * Merges the data another tab wrote to the shared storage (`theirs`) into this tab's (`ours`), so
 * that two tabs on one persisted store never overwrite each other's conversations.
 *
 * - A message or conversation only one side has is kept (added here, or written back).
 * - In both: the one with the later `updatedAt` wins (in the same millisecond: the further one). A
 *   conversation's message list is the union: the later version's order, the other's further
 *   messages inserted by `createdAt`, so that both tabs settle on the same list.
 * - Deletions: only when `base` is given, i.e. their write was made on top of the stored value
 *   this tab last knew (the caller checks the write's `parent`). What `base` had and `theirs`
 *   lacks was deleted in the other tab, and goes here too, unless this tab changed it since (a
 *   conversation still holding such a message stays too). Without `base` (crossed writes, or a
 *   third tab's) nothing is deleted: a write that had not seen ours must not erase it.
 *
 * `editable` copies a record once and then sets in place, rather than `withEntry` (record.ts) per
 * change: a first merge of a long history would otherwise copy the record once per message.
 *
 * Pure; unchanged messages and conversations keep their identity.
 */
export function mergeFromOtherTab(ours: MessageStoreData, theirs: MessageStoreData, base: MessageStoreData | null): OtherTabMerge {
  let changed = false;
  let behind = false;
  /** Deleted in the other tab after it saw `base`, and not changed here since. */
  const deletedThere = (kind: 'messages' | 'conversations', id: string, mine: { updatedAt: number }) => {
    const before = base && getOwn<{ updatedAt: number }>(base[kind], id);
    return before !== undefined && before !== null && !(mine.updatedAt > before.updatedAt);
  };

  const messages = editable<Message>(ours.messages);
  for (const [id, message] of Object.entries(theirs.messages)) {
    const mine = getOwn(ours.messages, id);
    const order = mine ? compareMessages(mine, message) : -1;
    if (order < 0) {
      messages.set(id, message);
      changed = true;
    } else if (order > 0) behind = true;
  }
  for (const [id, mine] of Object.entries(ours.messages)) {
    if (Object.hasOwn(theirs.messages, id)) continue;
    if (deletedThere('messages', id, mine)) {
      messages.delete(id);
      changed = true;
    } else behind = true;
  }
  const merged = messages.get();
  // A message without `createdAt` (a foreign or corrupted entry) goes last; `Infinity`, not
  // `Number.MAX_SAFE_INTEGER`: the same order for any timestamp, and a minifier writes it `1/0`.
  const createdAt = (id: string) => getOwn(merged, id)?.createdAt ?? Infinity;

  const conversations = editable<Conversation>(ours.conversations);
  for (const [id, conversation] of Object.entries(theirs.conversations)) {
    const mine = getOwn(ours.conversations, id);
    // Both tabs must come to the same list, or each would keep writing its own order: the list of
    // the later conversation (by `updatedAt`, then a fixed tie-break), less what was deleted, with
    // the other's further messages inserted by `createdAt`.
    const first = mine ? later(mine, conversation) : conversation;
    const second = first === conversation ? mine : conversation;
    const messageIds = first.messageIds.filter((messageId) => Object.hasOwn(merged, messageId));
    const listed = new Set(messageIds);
    for (const messageId of second?.messageIds ?? []) {
      if (!Object.hasOwn(merged, messageId) || listed.has(messageId)) continue;
      listed.add(messageId);
      const at = messageIds.findIndex((other) => createdAt(other) > createdAt(messageId));
      messageIds.splice(at < 0 ? messageIds.length : at, 0, messageId);
    }
    if (!mine || !sameConversation(mine, first, messageIds)) {
      conversations.set(id, { ...first, messageIds });
      changed = true;
    }
    if (!sameConversation(conversation, first, messageIds)) behind = true;
  }
  for (const [id, mine] of Object.entries(ours.conversations)) {
    if (Object.hasOwn(theirs.conversations, id)) continue;
    // A message this tab changed since is kept (above): so is its conversation, or it would be lost to the list.
    if (deletedThere('conversations', id, mine) && !mine.messageIds.some((messageId) => Object.hasOwn(merged, messageId))) {
      conversations.delete(id);
      changed = true;
    } else behind = true;
  }

  return { data: changed ? { conversations: conversations.get(), messages: merged } : ours, changed, behind };
}

/**
 * How far a version of a message got, for two versions of the same millisecond: a copy repaired at
 * load (`disconnected`, or a tool execution cancelled as `disconnected`; its `updatedAt` kept) is
 * behind the live message it copied; a live one is behind a final one.
 */
function progress(message: Message): number {
  if (message.incomplete?.reason === 'disconnected' || message.toolCalls.some((call) => call.execution?.state === 'cancelled' && call.execution.reason === 'disconnected')) return -1;
  return message.status === 'streaming' ? 0 : message.status === 'stopping' ? 1 : 2;
}

/**
 * Which of two versions of a message is later: > 0 for `a`, < 0 for `b`, 0 when they are the same.
 * By `updatedAt`; in the same millisecond, the further one (see `progress`), then the longer text,
 * then a fixed tie-break. The same answer whichever tab asks.
 */
function compareMessages(a: Message, b: Message): number {
  if (a === b) return 0;
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt ? 1 : -1;
  const further = progress(a) - progress(b);
  if (further !== 0) return further;
  if (a.text.length !== b.text.length) return a.text.length - b.text.length;
  // The common case, a message both tabs hold unchanged: no serialization.
  if (a.status === b.status && a.text === b.text && a.reasoning === b.reasoning && a.toolCalls.length === b.toolCalls.length) return 0;
  const keyA = JSON.stringify(a);
  const keyB = JSON.stringify(b);
  return keyA === keyB ? 0 : keyA > keyB ? 1 : -1;
}

/** The later of two versions of a conversation; the same answer whichever tab asks (no title: `null` in the JSON array). */
function later(a: Conversation, b: Conversation): Conversation {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt ? a : b;
  const keyA = JSON.stringify([a.messageIds, a.title]);
  const keyB = JSON.stringify([b.messageIds, b.title]);
  return keyA >= keyB ? a : b;
}

/**
 * `a` already is `meta` with `messageIds`. As JSON: ids and titles are strings, so alike only when
 * equal, and no title is `null` in an array either way (as `?? null` made it).
 */
function sameConversation(a: Conversation, meta: Conversation, messageIds: readonly string[]): boolean {
  return a.updatedAt === meta.updatedAt && JSON.stringify([a.messageIds, a.title]) === JSON.stringify([messageIds, meta.title]);
}

/**
 * What a persisted store remembers of its streams so that another page can resume them (a reload,
 * or another tab when this one closes; docs/resume.md, "After a reload"): the message it streams
 * into, its conversation, the stream id and its secret. Kept in `localStorage` under a key of its
 * own (`<persist name>:streams`), never in the messages (a message is passed around, logged,
 * sent to a model; a secret must not be), never in a URL. `localStorage` even when the store
 * persists elsewhere: a record is only useful where every tab of the origin sees it.
 */
export type StreamRecord = { messageId: string; conversationId: string; streamId: string; secret: string; at: number };

/** A record older than this is dropped unread: no log lives that long (their TTL is minutes). */
enum Records { MAX_AGE_MS = 24 * 60 * 60 * 1000 }

const keyOf = (name: string) => `${name}:streams`;

const isRecord = (value: unknown): value is StreamRecord =>
  (['messageId', 'conversationId', 'streamId', 'secret'] as const).every((key) => typeof (value as Partial<StreamRecord> | null)?.[key] === 'string') &&
  typeof (value as StreamRecord).at === 'number';

/**
 * The records under `name` that are not too old (a missing, blocked or corrupt storage: none).
 * `localStorage` is read inside the `try`: where there is none (Node) or it is blocked (a sandboxed
 * frame, some privacy settings), reaching it throws.
 */
export function readStreamRecords(name: string): StreamRecord[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(keyOf(name)) ?? '[]');
    return Array.isArray(list) ? list.filter((r): r is StreamRecord => isRecord(r) && Date.now() - r.at < Records.MAX_AGE_MS) : [];
  } catch {
    return [];
  }
}

function writeStreamRecords(name: string, list: StreamRecord[]): void {
  try {
    if (list.length > 0) localStorage.setItem(keyOf(name), JSON.stringify(list));
    else localStorage.removeItem(keyOf(name));
  } catch {
    // Storage full or blocked: the stream still runs, it just cannot be resumed by another page.
  }
}

/** Remembers a stream (replacing any record of its message). */
export function rememberStream(name: string, record: StreamRecord): void {
  writeStreamRecords(name, [...readStreamRecords(name).filter((r) => r.messageId !== record.messageId), record]);
}

/** Forgets the record of a stream (it ended, or cannot be resumed). */
export function forgetStream(name: string, streamId: string): void {
  const list = readStreamRecords(name);
  const kept = list.filter((r) => r.streamId !== streamId);
  if (kept.length !== list.length) writeStreamRecords(name, kept);
}

/** Whether `event` (a `storage` event) is a change of the records under `name`. */
export const isStreamRecordsEvent = (event: StorageEvent, name: string) => event.key === keyOf(name);

/**
 * Helpers for the id-keyed records of the state. Ids come from apps and from storage, so a key
 * such as `__proto__` or `constructor` must behave like any other: lookups read own properties only,
 * writes define own properties (never the `__proto__` setter).
 */

/** The record's own entry for `key`, or `undefined`. */
export function getOwn<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy of `record` with `key` set to `value`. */
export function withEntry<T>(record: Record<string, T>, key: string, value: T): Record<string, T> {
  return { ...record, [key]: value };
}

/** A copy of `record` without the given keys. */
export function withoutEntries<T>(record: Record<string, T>, keys: Iterable<string>): Record<string, T> {
  const next = { ...record };
  for (const key of keys) delete next[key];
  return next;
}

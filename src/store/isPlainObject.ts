/**
 * The one shape test the store applies to what it did not create itself (stored values, another
 * tab's writes, patches, tool arguments): everything read from outside is checked before use.
 */

/** `value` is a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { PartialJsonError } from './errors';
import { createParser, type PartialJsonParser } from './partialJson';

// The public parser: the implementation (partialJson.ts) with `PartialJsonError`s. A module of its
// own so that the implementation imports nothing (the stream session loads it as a lazy chunk).

/**
 * Creates an incremental parser for JSON that arrives in pieces, such as tool-call arguments
 * streamed by a model, and reads the best partial value after any piece.
 *
 * What `value()` reports:
 * - `undefined` until a value has started (and for a top-level literal or number in progress).
 * - Strings grow as characters arrive. An escape (`\n`, `\"`, `\u00e9`) appears only once complete,
 *   and a high surrogate waits for the code unit after it, so a surrogate pair split between
 *   deltas (raw or as two `\u` escapes) never shows as half a pair.
 * - Arrays and objects appear as soon as `[` / `{` arrives and grow. An object member appears
 *   once its value has started and is visible: a string value (partial), an array or an object.
 *   A key whose value has not started, or is a number or literal in progress, is absent.
 * - Numbers appear only once they can no longer change: after a delimiter (`,` `]` `}` or
 *   whitespace), so `12` never shows when `123` is coming. A top-level number has no delimiter, so
 *   it is reported while the text so far is a complete number, which is exactly when `done()` is
 *   true; `done()` goes back to false if the number continues with `.` or `e` (the only case
 *   where it can). Send trailing whitespace when you know a top-level number has ended.
 * - `true`, `false` and `null` appear only when complete.
 * - The final value equals `JSON.parse(text())`: duplicate keys keep the last value (in the first
 *   key's position), and a `__proto__` key becomes an own property, never a prototype.
 *
 * Values are immutable and structurally shared: every array and object handed out is frozen and
 * never changed afterwards; between two calls, any subtree that did not change is the same object
 * (`===`), and only the containers on the path to the change are new. With no change in between,
 * `value()` returns the same root.
 *
 * Cost: parsing is linear in the input (a stack of open containers, state carried across deltas,
 * nothing re-parsed). `value()` after a change copies the open containers on the path to the
 * cursor (completed children are shared, not copied): O(depth + their entries). That copy is
 * always made when it is at most 256 entries, which covers ordinary tool calls, so `value()` is
 * then exact after every delta. A bigger copy (an open array of thousands of elements) is paid
 * from a credit of 16 entries per input character: until the credit covers it, `value()` returns
 * the previous snapshot, which is older but consistent (the final value extends it). The lag is
 * about entries / 16 characters of input (some 120 characters for an open array of 2,000
 * records), and the copying is at most 256 entries per `push` plus 16 per character plus one
 * final copy of each container, however often `value()` is called. Copying on every call would
 * be quadratic instead: 2.4 billion entries for a 1 MB array of small records read after every
 * 8-character delta. When `done()` is true, or after an error, the value is exact.
 *
 * Errors: invalid JSON (including a byte order mark, or anything but whitespace after the value)
 * throws {@link PartialJsonError} whose `offset` is the 0-based offset in `text()` of the first
 * bad character. The error is sticky: later pushes throw it again, and `value()` keeps the value
 * of the text before the bad character.
 *
 * @example
 * ```ts
 * const parser = createPartialJsonParser();
 * parser.push('{"city": "Par');
 * parser.value(); // { city: 'Par' }
 * parser.push('is", "days": [1, 2');
 * parser.value(); // { city: 'Paris', days: [1] } — the 2 may still become 20
 * parser.push(']}');
 * parser.value(); // { city: 'Paris', days: [1, 2] }
 * parser.done(); // true
 * ```
 */
export function createPartialJsonParser(): PartialJsonParser {
  return createParser((offset, message) => new PartialJsonError(offset, message));
}

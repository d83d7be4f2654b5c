// The parser itself, importing nothing at run time: the stream session loads it as a chunk of its
// own (session/loadPartialJson.ts), and a module the up-front code also imports would become a chunk
// every app loads up front (docs/size.md, "No shared chunk up front"). So the error it throws is
// made by `toError`: the public `createPartialJsonParser` (createPartialJsonParser.ts) passes
// `PartialJsonError`, from errors.ts.

/** Makes the error of invalid JSON: `offset` in `text()` of the first bad character. */
export type PartialJsonErrorFactory = (offset: number, message: string) => Error;

/**
 * An incremental JSON parser for text that arrives in pieces (tool-call arguments streamed by a
 * model). See `createPartialJsonParser` (createPartialJsonParser.ts).
 */
export interface PartialJsonParser {
  /**
   * Appends `delta` (any split: inside a string, an escape, a number, a literal, between the two
   * escapes of a surrogate pair) and parses it. Throws `PartialJsonError` at the first
   * character that cannot continue valid JSON; from then on every call throws that same error
   * without recording its delta.
   */
  push(delta: string): void;
  /**
   * The best partial value so far (`undefined` before a value has started): deeply frozen, and
   * sharing every unchanged subtree with the previous call's value.
   */
  value(): unknown;
  /** Every delta pushed so far, concatenated (including one that failed, not those refused after it). */
  text(): string;
  /** Whether the text so far is one complete JSON value (plus optional trailing whitespace). */
  done(): boolean;
}

// Parser states. Enums (plain ones, not `const`: valid under `isolatedModules` and for single-file
// transpilers) rather than top-level number constants: a bundler (esbuild) writes an enum member's
// value in place, where it keeps top-level constants as variables (about 0.1 KB gzip of the app).
enum S {
  VALUE = 0, // a value is required (after `,` in an array, after `:`, at the top level)
  ARRAY_FIRST = 1, // after `[`: a value or `]`
  ARRAY_NEXT = 2, // after an element: `,` or `]`
  OBJECT_FIRST = 3, // after `{`: a key or `}`
  OBJECT_KEY = 4, // after `,` in an object: a key
  OBJECT_COLON = 5, // after a key: `:`
  OBJECT_NEXT = 6, // after a member: `,` or `}`
  STRING = 7, // inside a string (key or value)
  ESCAPE = 8, // after `\` in a string
  UNICODE = 9, // inside `\uXXXX`
  NUMBER = 10,
  LITERAL = 11, // inside `true`, `false` or `null`
  END = 12, // the top-level value is complete: only whitespace may follow
}

// Number sub-states, following the JSON grammar. The "terminal" ones are where the number could
// end; a number is only reported once a character that cannot extend it arrives.
enum N {
  MINUS = 0, // `-`
  ZERO = 1, // `0` or `-0` (terminal)
  INT = 2, // integer digits (terminal)
  DOT = 3, // `.`
  FRACTION = 4, // fraction digits (terminal)
  EXP = 5, // `e` / `E`
  EXP_SIGN = 6, // `e+` / `e-`
  EXP_DIGITS = 7, // exponent digits (terminal)
}

/** "No visible value in progress in this container". A symbol, so it cannot be mistaken for a parsed value. */
const NONE: unique symbol = Symbol('none');
type Tail = unknown | typeof NONE;

/**
 * Rebuild budget (see "Cost" in the TSDoc of {@link createPartialJsonParser}). A `value()` whose
 * rebuild copies at most `FREE_REBUILD_ENTRIES` entries is always exact; a larger one is paid from
 * credit that grows by `CREDIT_PER_CHAR` entries per input character, so the total copying stays
 * linear in the input however often `value()` is called. Measured with bench/partialJson.explore.mjs
 * (docs/partial-json.md): higher values buy exactness on bigger arrays with more copying and
 * garbage per character. An enum, as the states above: its values are written in place.
 */
enum Budget {
  FREE_REBUILD_ENTRIES = 256,
  CREDIT_PER_CHAR = 16,
}

/** One open container. A single shape for arrays and objects keeps property access monomorphic. */
interface Frame {
  readonly isArray: boolean;
  /** Arrays: the completed elements (never handed out; snapshots are copies). */
  readonly items: unknown[];
  /** Objects: the completed members, in JSON.parse order (never handed out; snapshots are copies). */
  readonly members: Record<string, unknown>;
  /** Completed entries so far: the cost of copying this container. */
  size: number;
  /** Objects: the key whose value is being read. */
  key: string;
  /** Objects: whether a member is named `__proto__` (snapshots are then copied differently). */
  hasProtoKey: boolean;
  /** The last frozen snapshot handed out (or built) for this container. */
  snap: object | undefined;
  /**
   * Whether `snap` is out of date. Invariant: if a frame is dirty, so are all frames below it on
   * the stack (a change inside a child is a change of every ancestor), so marking stops at the
   * first frame that is already dirty and costs O(1) amortised.
   */
  dirty: boolean;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function describe(c: number): string {
  if (c === 0xfeff) return 'byte order mark (U+FEFF)';
  if (c < 0x20 || c === 0x7f) return `control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
  return `'${String.fromCharCode(c)}'`;
}

/** Sets an own data property. `__proto__` needs `defineProperty`: assigning it would set the prototype, which JSON.parse never does. */
function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Builds a new frozen snapshot of `frame`, with `tail` (the visible value in progress) at the end. */
function buildSnapshot(frame: Frame, tail: Tail): object {
  if (frame.isArray) {
    const items = frame.items;
    let out: unknown[];
    if (tail === NONE) {
      out = items.slice();
    } else {
      // push/slice/pop: one exact-size copy instead of slice + a growing push.
      items.push(tail);
      out = items.slice();
      items.pop();
    }
    return Object.freeze(out);
  }
  // Object.assign onto `{}` adds the members in order, so snapshots of objects with the same keys
  // share V8 hidden classes (measured: ~0.35 µs for 8 members plus one added, against ~2.6 µs
  // for a spread clone, whose copied map cannot take a new property cheaply). But assign uses
  // [[Set]], which for a `__proto__` member would call the prototype setter: objects that have
  // one take spread, which defines own properties.
  const out: Record<string, unknown> = frame.hasProtoKey ? { ...frame.members } : Object.assign({}, frame.members);
  if (tail !== NONE) setMember(out, frame.key, tail);
  return Object.freeze(out);
}

class Parser implements PartialJsonParser {
  #all = '';
  /** Characters consumed before the current delta: turns indexes into offsets in `text()`. */
  #consumed = 0;
  #error: Error | undefined;
  readonly #toError: PartialJsonErrorFactory;
  #state = S.VALUE;
  readonly #stack: Frame[] = [];
  /** The completed top-level value (valid in `S.END`). */
  #root: unknown = undefined;
  /** Rebuild credit, in entries (see `CREDIT_PER_CHAR`). */
  #credit = 0;

  // String in progress. `str` is what is visible; a trailing high surrogate waits in
  // `pendingHigh` until the next code unit is known, so a partial string never ends with half a
  // pair when the final string does not have a lone surrogate there.
  #strIsKey = false;
  #str = '';
  #pendingHigh = '';
  #unicodeDigits = 0;
  #unicodeCode = 0;

  // Number in progress: its text so far and grammar sub-state.
  #numText = '';
  #numState = N.MINUS;

  // Literal in progress.
  #literalWord = '';
  #literalIndex = 0;
  #literalValue: unknown = null;

  constructor(toError: PartialJsonErrorFactory) {
    this.#toError = toError;
  }

  text(): string {
    return this.#all;
  }

  done(): boolean {
    return this.#state === S.END || (this.#state === S.NUMBER && this.#stack.length === 0 && this.#numberCanEnd());
  }

  value(): unknown {
    const stack = this.#stack;
    if (stack.length === 0) {
      if (this.#state === S.END) return this.#root;
      if (this.#inStringValue()) return this.#str;
      // A top-level number has no closing delimiter: it is reported while the text so far is a
      // complete number (the same moment `done()` is true).
      if (this.#state === S.NUMBER && this.#numberCanEnd()) return Number(this.#numText);
      return undefined;
    }
    const bottom = stack[0]!;
    if (!bottom.dirty) return bottom.snap;
    if (bottom.snap !== undefined && this.#error === undefined) {
      // Dirty frames form a prefix of the stack; rebuilding them copies every entry they hold.
      let cost = 0;
      for (let d = 0; d < stack.length && stack[d]!.dirty; d++) cost += stack[d]!.size + 1;
      if (cost > Budget.FREE_REBUILD_ENTRIES) {
        // Too big to copy on every call: copy only once enough input has arrived to pay for it,
        // and until then hand out the previous (older but consistent) snapshot.
        if (cost > this.#credit) return bottom.snap;
        this.#credit -= cost;
      }
    }
    let top = stack.length - 1;
    while (!stack[top]!.dirty) top--;
    let tail: Tail = top === stack.length - 1 ? this.#openTail() : stack[top + 1]!.snap;
    for (let d = top; d >= 0; d--) {
      const frame = stack[d]!;
      frame.snap = buildSnapshot(frame, tail);
      frame.dirty = false;
      tail = frame.snap;
    }
    return bottom.snap;
  }

  // unit-size: exempt. The tokenizer is one state machine over the characters of a delta: one
  // loop, a `switch` on the state, and locals shared by every state (the position, the start of
  // the number in progress). Split into a function per state, every step would pay a call and the
  // locals would travel through fields, on the path bench/README.md measures (100 KB of arguments
  // in 14.5 ms, 1 MB in 120 ms, against targets of 50 and 500 ms).
  push(delta: string): void {
    if (this.#error !== undefined) throw this.#error;
    this.#all += delta;
    const n = delta.length;
    let i = 0;
    // Start index in `delta` of the number in progress, so its text is sliced once per delta.
    let numStart = 0;
    while (i < n) {
      switch (this.#state) {
        case S.STRING: {
          // Fast path: copy a whole run of ordinary characters with one slice.
          let j = i;
          let c = 0;
          while (j < n) {
            c = delta.charCodeAt(j);
            if (c === 0x22 || c === 0x5c || c < 0x20) break;
            j++;
          }
          if (j > i) this.#appendToString(i === 0 && j === n ? delta : delta.slice(i, j));
          if (j === n) {
            i = j;
            break;
          }
          if (c === 0x22) {
            this.#endString();
          } else if (c === 0x5c) {
            this.#state = S.ESCAPE;
          } else {
            this.#fail(j, `Unescaped ${describe(c)} in a string`);
          }
          i = j + 1;
          break;
        }
        case S.ESCAPE: {
          const c = delta.charCodeAt(i);
          let decoded: string;
          switch (c) {
            case 0x22: decoded = '"'; break;
            case 0x5c: decoded = '\\'; break;
            case 0x2f: decoded = '/'; break;
            case 0x62: decoded = '\b'; break;
            case 0x66: decoded = '\f'; break;
            case 0x6e: decoded = '\n'; break;
            case 0x72: decoded = '\r'; break;
            case 0x74: decoded = '\t'; break;
            case 0x75:
              this.#state = S.UNICODE;
              this.#unicodeDigits = 0;
              this.#unicodeCode = 0;
              i++;
              continue;
            default:
              this.#fail(i, `Invalid escape ${describe(c)} in a string`);
          }
          this.#state = S.STRING;
          this.#appendToString(decoded);
          i++;
          break;
        }
        case S.UNICODE: {
          const c = delta.charCodeAt(i);
          const digit =
            c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
          if (digit < 0) this.#fail(i, `Invalid hexadecimal digit ${describe(c)} in a \\u escape`);
          this.#unicodeCode = (this.#unicodeCode << 4) | digit;
          if (++this.#unicodeDigits === 4) {
            this.#state = S.STRING;
            this.#appendToString(String.fromCharCode(this.#unicodeCode));
          }
          i++;
          break;
        }
        case S.NUMBER: {
          const c = delta.charCodeAt(i);
          if (this.#stepNumber(c, i)) {
            i++;
          } else {
            // The character ends the number; it is read again in the state after the value.
            this.#numText += delta.slice(numStart, i);
            this.#completeScalar(Number(this.#numText));
          }
          break;
        }
        case S.LITERAL: {
          const c = delta.charCodeAt(i);
          if (c !== this.#literalWord.charCodeAt(this.#literalIndex)) {
            this.#fail(i, `Unexpected ${describe(c)} in '${this.#literalWord}'`);
          }
          i++;
          if (++this.#literalIndex === this.#literalWord.length) this.#completeScalar(this.#literalValue);
          break;
        }
        default: {
          // Structural states: skip whitespace, then one character decides.
          const c = delta.charCodeAt(i);
          if (isWhitespace(c)) {
            i++;
            break;
          }
          this.#structural(c, i);
          // `as S`: `#structural` may have moved the state (TypeScript keeps the switch's narrowing).
          if ((this.#state as S) === S.NUMBER) numStart = i;
          i++;
        }
      }
    }
    if (this.#state === S.NUMBER) this.#numText += delta.slice(numStart);
    this.#consumed += n;
    this.#credit += n * Budget.CREDIT_PER_CHAR;
  }

  /** Handles a non-whitespace character in a structural state. */
  #structural(c: number, i: number): void {
    switch (this.#state) {
      case S.VALUE:
        this.#beginValue(c, i);
        return;
      case S.ARRAY_FIRST:
        if (c === 0x5d) this.#closeContainer();
        else this.#beginValue(c, i);
        return;
      case S.ARRAY_NEXT:
        if (c === 0x2c) this.#state = S.VALUE;
        else if (c === 0x5d) this.#closeContainer();
        else this.#fail(i, `Expected ',' or ']' after an array element, got ${describe(c)}`);
        return;
      case S.OBJECT_FIRST:
        if (c === 0x22) this.#beginString(true);
        else if (c === 0x7d) this.#closeContainer();
        else this.#fail(i, `Expected a string key or '}', got ${describe(c)}`);
        return;
      case S.OBJECT_KEY:
        if (c === 0x22) this.#beginString(true);
        else this.#fail(i, `Expected a string key after ',', got ${describe(c)}`);
        return;
      case S.OBJECT_COLON:
        if (c === 0x3a) this.#state = S.VALUE;
        else this.#fail(i, `Expected ':' after an object key, got ${describe(c)}`);
        return;
      case S.OBJECT_NEXT:
        if (c === 0x2c) this.#state = S.OBJECT_KEY;
        else if (c === 0x7d) this.#closeContainer();
        else this.#fail(i, `Expected ',' or '}' after an object member, got ${describe(c)}`);
        return;
      case S.END:
        this.#fail(i, `Unexpected ${describe(c)} after the end of the JSON value`);
    }
  }

  #beginValue(c: number, i: number): void {
    switch (c) {
      case 0x22: // "
        this.#beginString(false);
        // An empty string is already a visible value (a key whose string value has started is present).
        this.#markTopDirty();
        return;
      case 0x5b: // [
      case 0x7b: // {
        this.#markTopDirty();
        this.#stack.push({
          isArray: c === 0x5b,
          items: [],
          members: {},
          size: 0,
          key: '',
          hasProtoKey: false,
          snap: undefined,
          dirty: true,
        });
        this.#state = c === 0x5b ? S.ARRAY_FIRST : S.OBJECT_FIRST;
        return;
      case 0x74: // t
        this.#beginLiteral('true', true);
        return;
      case 0x66: // f
        this.#beginLiteral('false', false);
        return;
      case 0x6e: // n
        this.#beginLiteral('null', null);
        return;
      case 0x2d: // -
        this.#beginNumber(N.MINUS);
        return;
      case 0x30: // 0
        this.#beginNumber(N.ZERO);
        return;
      default:
        if (c >= 0x31 && c <= 0x39) this.#beginNumber(N.INT);
        else this.#fail(i, `Unexpected ${describe(c)} where a value was expected`);
    }
  }

  #beginString(isKey: boolean): void {
    this.#state = S.STRING;
    this.#strIsKey = isKey;
    this.#str = '';
    this.#pendingHigh = '';
  }

  #beginLiteral(word: string, value: unknown): void {
    this.#state = S.LITERAL;
    this.#literalWord = word;
    this.#literalIndex = 1;
    this.#literalValue = value;
  }

  #beginNumber(numState: number): void {
    this.#state = S.NUMBER;
    this.#numState = numState;
    this.#numText = '';
  }

  /** Advances the number grammar by `c`. Returns false when `c` ends a complete number; throws when the number is incomplete or malformed. */
  #stepNumber(c: number, i: number): boolean {
    const s = this.#numState;
    if (c >= 0x30 && c <= 0x39) {
      if (s === N.ZERO) this.#fail(i, 'Leading zeros are not allowed in a number');
      this.#numState =
        s === N.MINUS ? (c === 0x30 ? N.ZERO : N.INT) : s === N.DOT ? N.FRACTION : s === N.EXP || s === N.EXP_SIGN ? N.EXP_DIGITS : s;
      return true;
    }
    if (c === 0x2e && (s === N.ZERO || s === N.INT)) {
      this.#numState = N.DOT;
      return true;
    }
    if ((c === 0x65 || c === 0x45) && (s === N.ZERO || s === N.INT || s === N.FRACTION)) {
      this.#numState = N.EXP;
      return true;
    }
    if ((c === 0x2b || c === 0x2d) && s === N.EXP) {
      this.#numState = N.EXP_SIGN;
      return true;
    }
    if (this.#numberCanEnd()) return false;
    this.#fail(i, `Unexpected ${describe(c)} in a number`);
  }

  #numberCanEnd(): boolean {
    const s = this.#numState;
    return s === N.ZERO || s === N.INT || s === N.FRACTION || s === N.EXP_DIGITS;
  }

  #inStringValue(): boolean {
    const s = this.#state;
    return (s === S.STRING || s === S.ESCAPE || s === S.UNICODE) && !this.#strIsKey;
  }

  /** The visible value in progress inside the top frame: only a string value is visible before it completes. */
  #openTail(): Tail {
    return this.#inStringValue() ? this.#str : NONE;
  }

  #appendToString(chunk: string): void {
    if (this.#strIsKey) {
      this.#str += chunk;
      return;
    }
    let text = this.#pendingHigh === '' ? chunk : this.#pendingHigh + chunk;
    this.#pendingHigh = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#pendingHigh = text.charAt(text.length - 1);
      text = text.slice(0, -1);
    }
    if (text !== '') {
      // `+=` builds a rope in V8: appending is O(chunk), and nothing here flattens it.
      this.#str += text;
      this.#markTopDirty();
    }
  }

  #endString(): void {
    if (this.#strIsKey) {
      const frame = this.#stack[this.#stack.length - 1]!;
      frame.key = this.#str;
      if (this.#str === '__proto__') frame.hasProtoKey = true;
      this.#str = '';
      this.#state = S.OBJECT_COLON;
      return;
    }
    // A lone high surrogate at the very end is part of the value (JSON.parse keeps it).
    const changed = this.#pendingHigh !== '';
    const value = changed ? this.#str + this.#pendingHigh : this.#str;
    this.#str = '';
    this.#pendingHigh = '';
    this.#attach(value);
    if (changed) this.#markTopDirty();
  }

  /** A number or literal completed: it was invisible until now. */
  #completeScalar(value: unknown): void {
    this.#attach(value);
    this.#markTopDirty();
  }

  /** Stores a completed value in the top frame (or as the root) and moves to the state after a value. */
  #attach(value: unknown): void {
    const stack = this.#stack;
    if (stack.length === 0) {
      this.#root = value;
      this.#state = S.END;
      return;
    }
    const frame = stack[stack.length - 1]!;
    if (frame.isArray) {
      frame.items.push(value);
      this.#state = S.ARRAY_NEXT;
    } else {
      setMember(frame.members, frame.key, value);
      this.#state = S.OBJECT_NEXT;
    }
    frame.size++;
  }

  #closeContainer(): void {
    const frame = this.#stack.pop()!;
    // A clean frame's snapshot is already exact, and its parent's snapshot already holds it: the
    // completed child keeps its identity and the parent needs no rebuild. A dirty frame is built
    // now, exactly, whatever the budget (each container is completed once, so this is linear).
    const value = !frame.dirty && frame.snap !== undefined ? frame.snap : buildSnapshot(frame, NONE);
    this.#attach(value);
  }

  #markTopDirty(): void {
    const stack = this.#stack;
    for (let d = stack.length - 1; d >= 0 && !stack[d]!.dirty; d--) stack[d]!.dirty = true;
  }

  #fail(index: number, message: string): never {
    this.#error = this.#toError(this.#consumed + index, message);
    throw this.#error;
  }
}

/**
 * The parser (see `createPartialJsonParser` for what it reports, its cost and its errors), its
 * errors made by `toError`: by default a `SyntaxError` (the session's parsers, whose errors are
 * never seen: a call whose text is not JSON keeps its last partial value).
 */
export function createParser(toError: PartialJsonErrorFactory = (offset, message) => new SyntaxError(`${message} at offset ${offset}`)): PartialJsonParser {
  const parser = new Parser(toError);
  return {
    push: (delta) => parser.push(delta),
    value: () => parser.value(),
    text: () => parser.text(),
    done: () => parser.done(),
  };
}

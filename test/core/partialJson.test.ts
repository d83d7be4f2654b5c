import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createPartialJsonParser } from '../../src/core/createPartialJsonParser';
import type { PartialJsonParser } from '../../src/core/partialJson';
import { PartialJsonError } from '../../src/core/errors';

/** Pushes each chunk and returns the value read after each push. */
function valuesAfterEach(chunks: readonly string[]): { parser: PartialJsonParser; values: unknown[] } {
  const parser = createPartialJsonParser();
  const values = chunks.map((chunk) => {
    parser.push(chunk);
    return parser.value();
  });
  return { parser, values };
}

function chars(text: string): string[] {
  return text.split('');
}

/** Splits `text` into chunks whose sizes cycle through `sizes`. */
function splitBySizes(text: string, sizes: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Whether `partial` could be an earlier state of `final`: nothing yet (`undefined`), a prefix of
 * a string, an array whose elements before the last deep-equal the final ones and whose last is
 * itself consistent, or an object whose keys are a subset, each consistent. Numbers, booleans and
 * null must already be exact (they only appear when complete). Inputs must not repeat a key
 * (an earlier duplicate's value is legitimately replaced later).
 */
function isPrefixConsistent(partial: unknown, final: unknown): boolean {
  if (partial === undefined) return true;
  if (typeof final === 'string') return typeof partial === 'string' && final.startsWith(partial);
  if (Array.isArray(final)) {
    if (!Array.isArray(partial) || partial.length > final.length) return false;
    const last = partial.length - 1;
    for (let i = 0; i < last; i++) if (!deepEqual(partial[i], final[i])) return false;
    return last < 0 || isPrefixConsistent(partial[last], final[last]);
  }
  if (isPlainObject(final)) {
    if (!isPlainObject(partial)) return false;
    return Object.keys(partial).every((k) => Object.hasOwn(final, k) && isPrefixConsistent(partial[k], final[k]));
  }
  return Object.is(partial, final);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function isDeeplyFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(isDeeplyFrozen);
}

function errorOf(chunks: readonly string[]): PartialJsonError {
  const parser = createPartialJsonParser();
  try {
    for (const chunk of chunks) parser.push(chunk);
  } catch (e) {
    expect(e).toBeInstanceOf(PartialJsonError);
    return e as PartialJsonError;
  }
  throw new Error(`no error for ${JSON.stringify(chunks.join(''))}`);
}

describe('createPartialJsonParser: values as they grow', () => {
  it('reports undefined before a value starts, and keeps the text', () => {
    const parser = createPartialJsonParser();
    expect(parser.value()).toBeUndefined();
    expect(parser.done()).toBe(false);
    parser.push('');
    parser.push('  \n\t');
    expect(parser.value()).toBeUndefined();
    parser.push('{"a"');
    expect(parser.text()).toBe('  \n\t{"a"');
  });

  it('grows a string character by character, top level and nested', () => {
    expect(valuesAfterEach(chars('"abc"')).values).toEqual(['', 'a', 'ab', 'abc', 'abc']);
    expect(valuesAfterEach(['["ab', 'c', '"]']).values).toEqual([['ab'], ['abc'], ['abc']]);
  });

  it('grows arrays element by element', () => {
    const { values } = valuesAfterEach(['[', '"x"', ',', '[', ']', ',{', '}', ']']);
    expect(values).toEqual([[], ['x'], ['x'], ['x', []], ['x', []], ['x', [], {}], ['x', [], {}], ['x', [], {}]]);
  });

  it('adds an object member only once its value has visibly started', () => {
    const steps: Array<[string, unknown]> = [
      ['{', {}],
      ['"na', {}],
      ['me"', {}],
      [' : ', {}],
      ['"', { name: '' }],
      ['Ad', { name: 'Ad' }],
      ['a", "tags": ', { name: 'Ada' }],
      ['[', { name: 'Ada', tags: [] }],
      ['"x"], "meta": {', { name: 'Ada', tags: ['x'], meta: {} }],
      ['"n": 1', { name: 'Ada', tags: ['x'], meta: {} }],
      ['2', { name: 'Ada', tags: ['x'], meta: {} }],
      ['}', { name: 'Ada', tags: ['x'], meta: { n: 12 } }],
      [', "ok": tr', { name: 'Ada', tags: ['x'], meta: { n: 12 } }],
      ['ue', { name: 'Ada', tags: ['x'], meta: { n: 12 }, ok: true }],
      ['}', { name: 'Ada', tags: ['x'], meta: { n: 12 }, ok: true }],
    ];
    const parser = createPartialJsonParser();
    for (const [chunk, expected] of steps) {
      parser.push(chunk);
      expect(parser.value(), `after ${JSON.stringify(parser.text())}`).toEqual(expected);
    }
    expect(parser.done()).toBe(true);
  });

  it('shows a number only once a delimiter proves it complete', () => {
    const { values } = valuesAfterEach(['[1', '2', '3', ',', '-4.5e', '-3', ' ', ',0', ']']);
    expect(values).toEqual([[], [], [], [123], [123], [123], [123, -4.5e-3], [123, -4.5e-3], [123, -4.5e-3, 0]]);
    expect(valuesAfterEach(['{"a":1', '0', '}']).values).toEqual([{}, {}, { a: 10 }]);
  });

  it('shows true, false and null only when complete', () => {
    const { values } = valuesAfterEach(['[t', 'ru', 'e', ',f', 'als', 'e', ',n', 'ul', 'l', ']']);
    expect(values).toEqual([[], [], [true], [true], [true], [true, false], [true, false], [true, false], [true, false, null], [true, false, null]]);
  });

  it('parses empty containers', () => {
    for (const text of ['[]', '{}', '[[]]', '[{}]', '{"a":{},"b":[]}', '[[],[[]],{}]', ' [ ] ', '{ }']) {
      const { parser } = valuesAfterEach(chars(text));
      expect(parser.value(), text).toEqual(JSON.parse(text));
      expect(parser.done()).toBe(true);
    }
  });

  it('parses top-level scalars', () => {
    for (const text of ['"x"', '""', 'true', 'false', 'null', '0', '-0', '42', '-1.5e+10', '3.25E-2', '1e999', ' 7 ']) {
      const { parser } = valuesAfterEach(chars(text));
      expect(parser.value(), text).toEqual(JSON.parse(text));
      expect(Object.is(parser.value(), JSON.parse(text)), text).toBe(true);
      expect(parser.done(), text).toBe(true);
    }
  });

  it('reports a top-level number while the text is a complete number (it has no delimiter)', () => {
    const parser = createPartialJsonParser();
    parser.push('12');
    expect([parser.value(), parser.done()]).toEqual([12, true]);
    parser.push('.');
    expect([parser.value(), parser.done()]).toEqual([undefined, false]);
    parser.push('5');
    expect([parser.value(), parser.done()]).toEqual([12.5, true]);
    parser.push(' ');
    expect([parser.value(), parser.done()]).toEqual([12.5, true]);
    expect(() => parser.push('6')).toThrow(PartialJsonError);
  });

  it('skips whitespace anywhere between tokens, and after the value', () => {
    const text = ' \n{ "a" :\t[ 1 ,\r\n 2 ] , "b" : "x y" }\n\n ';
    const { parser, values } = valuesAfterEach(chars(text));
    expect(parser.value()).toEqual({ a: [1, 2], b: 'x y' });
    expect(parser.done()).toBe(true);
    expect(values.every((v) => isPrefixConsistent(v, { a: [1, 2], b: 'x y' }))).toBe(true);
  });

  it('is done only after the top-level value is complete', () => {
    const parser = createPartialJsonParser();
    parser.push('{"a":[1]');
    expect(parser.done()).toBe(false);
    parser.push('}');
    expect(parser.done()).toBe(true);
    parser.push(' \n');
    expect(parser.done()).toBe(true);
  });
});

describe('createPartialJsonParser: escapes and unicode', () => {
  const escaped = String.raw`"q\"b\\s\/f\bf\fn\nr\rt\tu\u00e9U\u00C9p\ud83d\ude00z"`;
  const expected: string = JSON.parse(escaped);

  it('decodes every escape, split at every position', () => {
    for (let i = 1; i < escaped.length; i++) {
      for (const j of [i + 1, i + 3, escaped.length]) {
        const chunks = [escaped.slice(0, i), escaped.slice(i, j), escaped.slice(j)].filter((c) => c !== '');
        const { parser, values } = valuesAfterEach(chunks);
        expect(parser.value(), `split at ${i}/${j}`).toBe(expected);
        for (const v of values) {
          expect(typeof v === 'string' && expected.startsWith(v), `split at ${i}/${j}: ${JSON.stringify(v)}`).toBe(true);
        }
      }
    }
  });

  it('never shows half an escape', () => {
    const { values } = valuesAfterEach(chars(String.raw`"a\u00e9\nb"`));
    expect(values).toEqual(['', 'a', 'a', 'a', 'a', 'a', 'a', 'aé', 'aé', 'aé\n', 'aé\nb', 'aé\nb']);
  });

  it('keeps a surrogate pair whole when its \\u escapes arrive separately', () => {
    const { values } = valuesAfterEach(['"x', String.raw`\ud83d`, String.raw`\ude`, '00', '"']);
    expect(values).toEqual(['x', 'x', 'x', 'x😀', 'x😀']);
  });

  it('keeps a raw surrogate pair whole when a delta splits it', () => {
    const text = '["😀"]';
    const { values } = valuesAfterEach([text.slice(0, 3), text.slice(3)]);
    expect(values).toEqual([[''], ['😀']]);
  });

  it('keeps a lone surrogate, as JSON.parse does', () => {
    for (const text of [String.raw`"\ud800"`, String.raw`"\ud800x"`, String.raw`"a\udc00"`, String.raw`"\ud800\n"`, '"\ud800"']) {
      const { parser, values } = valuesAfterEach(chars(text));
      expect(parser.value(), text).toBe(JSON.parse(text));
      for (const v of values) expect((JSON.parse(text) as string).startsWith(v as string)).toBe(true);
    }
  });

  it('handles non-ASCII keys and values', () => {
    const text = '{"名前":"東京","ключ":"значение","emoji 🚀":"✅"}';
    for (const size of [1, 2, 3, 5]) {
      const { parser } = valuesAfterEach(splitBySizes(text, [size]));
      expect(parser.value()).toEqual(JSON.parse(text));
    }
  });
});

describe('createPartialJsonParser: objects like JSON.parse', () => {
  it('keeps the last of duplicate keys, in the first position', () => {
    const text = '{"a":1,"b":2,"a":{"x":3}}';
    const { parser } = valuesAfterEach(chars(text));
    expect(parser.value()).toEqual({ a: { x: 3 }, b: 2 });
    expect(Object.keys(parser.value() as object)).toEqual(Object.keys(JSON.parse(text)));
  });

  it('shows a duplicate key with its new value as soon as that value starts', () => {
    const parser = createPartialJsonParser();
    parser.push('{"a":"old","a":');
    expect(parser.value()).toEqual({ a: 'old' });
    parser.push('"ne');
    expect(parser.value()).toEqual({ a: 'ne' });
  });

  it('makes __proto__ an own property and never sets a prototype, partial or final', () => {
    const parser = createPartialJsonParser();
    parser.push('{"__proto__":{"polluted":');
    const partial = parser.value() as Record<string, unknown>;
    expect(Object.getPrototypeOf(partial)).toBe(Object.prototype);
    expect(Object.hasOwn(partial, '__proto__')).toBe(true);
    parser.push('true},"a":"__proto__","b":{"__proto__":"x');
    const partial2 = parser.value() as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(partial2.b)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(partial2.b, '__proto__')?.value).toBe('x');
    parser.push('"}}');
    const text = parser.text();
    const final = parser.value() as Record<string, unknown>;
    expect(final).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(final)).toBe(Object.prototype);
    expect(Object.keys(final)).toEqual(['__proto__', 'a', 'b']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((final as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('keeps integer-like keys in JSON.parse order', () => {
    const text = '{"b":1,"2":2,"a":3,"1":4}';
    const { parser } = valuesAfterEach(chars(text));
    expect(Object.keys(parser.value() as object)).toEqual(Object.keys(JSON.parse(text)));
  });

  it('handles deep nesting without recursion', () => {
    const depth = 20_000;
    const text = '['.repeat(depth) + '"deep"' + ']'.repeat(depth);
    const parser = createPartialJsonParser();
    for (const chunk of splitBySizes(text, [997])) {
      parser.push(chunk);
      parser.value();
    }
    let v = parser.value();
    for (let d = 0; d < depth; d++) v = (v as unknown[])[0];
    expect(v).toBe('deep');
    expect(parser.done()).toBe(true);
  });
});

describe('createPartialJsonParser: immutability and structural sharing', () => {
  it('keeps a completed member identical while a sibling streams', () => {
    const parser = createPartialJsonParser();
    parser.push('{"a":{"x":[1,2],"y":"z"},"b":"he');
    const v1 = parser.value() as { a: { x: number[] }; b: string };
    parser.push('ll');
    const v2 = parser.value() as typeof v1;
    parser.push('o", "c": [');
    const v3 = parser.value() as typeof v1;
    expect(v2).not.toBe(v1);
    expect(v3).not.toBe(v2);
    expect(v2.a).toBe(v1.a);
    expect(v3.a).toBe(v1.a);
    expect(v3.a.x).toBe(v1.a.x);
    expect(v1.b).toBe('he');
    expect(v2.b).toBe('hell');
  });

  it('returns the same root when nothing visible changed', () => {
    const parser = createPartialJsonParser();
    parser.push('{"list":[{"k":1}],"n":1');
    const v1 = parser.value();
    expect(parser.value()).toBe(v1);
    parser.push('2'); // the number is still open: invisible
    expect(parser.value()).toBe(v1);
    parser.push(', "m"'); // the number completes
    const v2 = parser.value() as { list: unknown };
    expect(v2).not.toBe(v1);
    expect(v2.list).toBe((v1 as { list: unknown }).list);
  });

  it('keeps the identity of a container through its closing bracket when unchanged', () => {
    const parser = createPartialJsonParser();
    parser.push('{"a":[{"k":"v"}');
    const before = parser.value() as { a: unknown[] };
    parser.push(']');
    const after = parser.value() as { a: unknown[] };
    expect(after).toBe(before);
    expect(after.a[0]).toBe(before.a[0]);
  });

  it('gives every completed array element a single identity from completion on', () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ id: i, name: `n${i}`, tags: [i, 'x'] }));
    const text = JSON.stringify({ items, tail: 'done' });
    const identities = new Map<number, Set<unknown>>();
    const parser = createPartialJsonParser();
    let snapshots = 0;
    for (const chunk of splitBySizes(text, [1, 2, 3])) {
      parser.push(chunk);
      const v = parser.value() as { items?: unknown[] } | undefined;
      snapshots++;
      const list = v?.items ?? [];
      // All but the last element are complete.
      for (let i = 0; i < list.length - 1; i++) {
        const set = identities.get(i) ?? new Set();
        set.add(list[i]);
        identities.set(i, set);
      }
    }
    expect(snapshots).toBeGreaterThan(text.length / 3);
    expect(identities.size).toBe(items.length - 1);
    for (const [i, set] of identities) expect(set.size, `element ${i}`).toBe(1);
  });

  it('never changes a value it returned: deeply frozen, and equal to a copy taken at the time', () => {
    const text = JSON.stringify({ a: [1, { b: 'xyz', c: [true, null] }], d: { e: 'f'.repeat(30) }, g: [[[]]] }, null, 1);
    const parser = createPartialJsonParser();
    const returned: Array<{ value: unknown; copy: unknown }> = [];
    for (const chunk of chars(text)) {
      parser.push(chunk);
      const value = parser.value();
      expect(isDeeplyFrozen(value)).toBe(true);
      returned.push({ value, copy: structuredClone(value) });
    }
    for (const { value, copy } of returned) expect(value).toEqual(copy);
    expect(() => {
      (parser.value() as { d: { e: string } }).d.e = 'mutated';
    }).toThrow(TypeError);
  });
});

describe('createPartialJsonParser: errors', () => {
  const cases: Array<[string, string[], number]> = [
    ['trailing comma in an object', ['{"a":1,}'], 7],
    ['trailing comma in an array', ['[1,', ']'], 3],
    ['missing comma', ['[1 2]'], 3],
    ['broken literal', ['tru e'], 3],
    ['literal split then broken', ['[fa', 'lse,', 'nul', 'x]'], 10],
    ['missing colon', ['{"a" 1}'], 5],
    ['trailing garbage after a complete value', ['{"a":1}', ' x'], 8],
    ['second top-level value', ['"a" "b"'], 4],
    ['trailing garbage after a top-level number', ['12', 'x'], 2],
    ['control character in a string', ['["ab\u0001c"]'], 4],
    ['raw newline in a string', ['"a', '\nb"'], 2],
    ['bad escape', ['"a\\x"'], 3],
    ['bad escape split after the backslash', ['"a\\', 'x"'], 3],
    ['bad hex digit in \\u', ['"\\u00', 'g0"'], 5],
    ['leading zero', ['01'], 1],
    ['leading zero in an array', ['[-0', '5]'], 3],
    ['minus alone then ]', ['[-', ']'], 2],
    ['minus alone at the top level then ]', ['-', ']'], 1],
    ['dot without digits', ['[1.]'], 3],
    ['exponent without digits', ['[1e', '+]'], 4],
    ['byte order mark', ['\ufeff{}'], 0],
    ['closing bracket first', [' ]'], 1],
    ['mismatched brackets', ['{"a":[1}'], 7],
    ['single quotes', ["{'a':1}"], 1],
    ['unquoted key', ['{a:1}'], 1],
    ['non-JSON whitespace', ['[1,\u00a02]'], 3],
    ['plus sign', ['+1'], 0],
    ['NaN', ['[NaN]'], 1],
  ];
  for (const [name, chunks, offset] of cases) {
    it(`${name}: offset ${offset}`, () => {
      const error = errorOf(chunks);
      expect(error.offset).toBe(offset);
      expect(error.type).toBe('invalid-json');
      expect(error.message).toContain(`at offset ${offset}`);
      // JSON.parse agrees that the text is invalid.
      expect(() => JSON.parse(chunks.join(''))).toThrow();
    });
  }

  it('is sticky: later pushes throw the same error and value() keeps the last good value', () => {
    const parser = createPartialJsonParser();
    parser.push('{"a":[1,2],"b":"x');
    const good = parser.value();
    let first: unknown;
    try {
      parser.push('y"  "c"');
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(PartialJsonError);
    expect((first as PartialJsonError).offset).toBe(21); // the second '"': a ',' or '}' was due
    expect(() => parser.push('}')).toThrow(first as Error);
    expect(() => parser.push('')).toThrow(first as Error);
    expect(parser.value()).toEqual({ a: [1, 2], b: 'xy' });
    expect(parser.value()).toEqual(JSON.parse(JSON.stringify(parser.value())));
    expect(good).toEqual({ a: [1, 2], b: 'x' });
    expect(parser.done()).toBe(false);
  });
});

describe('createPartialJsonParser: properties', () => {
  const sizes = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 });

  /** Feeds `text` in chunks and checks every intermediate value against the final one. */
  function checkStream(text: string, chunkSizes: readonly number[]): void {
    const expected: unknown = JSON.parse(text);
    const parser = createPartialJsonParser();
    let fed = '';
    for (const chunk of splitBySizes(text, chunkSizes)) {
      parser.push(chunk);
      fed += chunk;
      const v = parser.value();
      if (typeof expected === 'number') {
        // A top-level number is reported exactly while the text so far is a complete number.
        if (v !== undefined) expect(v).toBe(JSON.parse(fed));
      } else if (!isPrefixConsistent(v, expected)) {
        throw new Error(`inconsistent after ${JSON.stringify(fed)}: ${JSON.stringify(v)}`);
      }
      expect(isDeeplyFrozen(v)).toBe(true);
    }
    expect(parser.value()).toEqual(expected);
    expect(deepEqual(parser.value(), expected)).toBe(true);
    expect(parser.done()).toBe(true);
    expect(parser.text()).toBe(text);
  }

  it('any JSON value, any split: the final value equals JSON.parse and every step is consistent', () => {
    fc.assert(
      fc.property(fc.jsonValue(), sizes, (value, chunkSizes) => {
        checkStream(JSON.stringify(value), chunkSizes);
      }),
      { numRuns: 400 },
    );
  });

  it('the same with pretty-printed JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), sizes, (value, chunkSizes) => {
        checkStream(JSON.stringify(value, null, 2), chunkSizes);
      }),
      { numRuns: 200 },
    );
  });

  it('the same with fc.json() text, one character at a time', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        checkStream(text, [1]);
      }),
      { numRuns: 200 },
    );
  });

  it('the same with unicode strings, lone surrogates and big numbers', () => {
    const scalar = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, sizes, (v, chunkSizes) => {
        checkStream(JSON.stringify(v), chunkSizes);
      }),
      { numRuns: 300 },
    );
  });

  it('invalid text: the error offset is where the valid prefix ends', () => {
    // Corrupt one character of valid JSON; the parser must accept exactly the longest valid
    // prefix, which we check by feeding the text before the offset again (no error, not done
    // unless JSON.parse accepts it).
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom('}', ']', ',', ':', 'x', '"', '\u0001', ' 1'), (value, at, bad) => {
        const good = JSON.stringify(value);
        const pos = at % (good.length + 1);
        const text = good.slice(0, pos) + bad + good.slice(pos);
        let parsedOk = true;
        try {
          JSON.parse(text);
        } catch {
          parsedOk = false;
        }
        const parser = createPartialJsonParser();
        let error: PartialJsonError | undefined;
        try {
          for (const chunk of splitBySizes(text, [3])) parser.push(chunk);
        } catch (e) {
          error = e as PartialJsonError;
        }
        if (parsedOk) {
          expect(error).toBeUndefined();
          return;
        }
        if (error === undefined) {
          // Valid so far but incomplete (e.g. an unterminated string): not done.
          expect(parser.done()).toBe(false);
          return;
        }
        expect(error).toBeInstanceOf(PartialJsonError);
        expect(() => createPartialJsonParser().push(text.slice(0, error.offset))).not.toThrow();
        expect(() => createPartialJsonParser().push(text.slice(0, error.offset + 1))).toThrow(PartialJsonError);
      }),
      { numRuns: 400 },
    );
  });
});

describe('createPartialJsonParser: work stays linear (counted, not timed)', () => {
  /**
   * Counts the copying behind every value() call from the outside: entries of arrays and objects
   * that were not in any earlier value (new containers), skipping shared subtrees. That is the
   * work a path-copying snapshot does; it is deterministic, so this cannot be flaky.
   */
  function copiedEntriesPerChar(text: string, delta: number): { perChar: number; exactReads: number; reads: number } {
    const seen = new WeakSet<object>();
    let copied = 0;
    const visit = (v: unknown): void => {
      if (typeof v !== 'object' || v === null || seen.has(v)) return;
      seen.add(v);
      const children = Object.values(v);
      copied += children.length;
      for (const child of children) visit(child);
    };
    const parser = createPartialJsonParser();
    const exact = { reads: 0, matches: 0 };
    let completed = 0;
    for (const chunk of splitBySizes(text, [delta])) {
      parser.push(chunk);
      const v = parser.value();
      visit(v);
      exact.reads++;
      // For an array of flat records, "exact" means: as many elements shown as records closed
      // (a record in progress may be shown too).
      for (const c of chunk) if (c === '}') completed++;
      if ((Array.isArray(v) ? v.length : 0) >= completed) exact.matches++;
    }
    expect(parser.value()).toEqual(JSON.parse(text));
    return { perChar: copied / text.length, exactReads: exact.matches, reads: exact.reads };
  }

  const records = (n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => ({ i, ok: i % 3 === 0 })));

  it('an open array of many small records read after every delta copies O(1) entries per character', () => {
    const small = copiedEntriesPerChar(records(2_000), 8);
    const large = copiedEntriesPerChar(records(20_000), 8);
    // Copying every element on every read would be ~n/2 entries per delta: ~1,200 per character
    // at 20,000 records. The budget keeps it bounded and flat as the input grows tenfold.
    expect(large.perChar).toBeLessThan(40);
    expect(large.perChar).toBeLessThan(small.perChar * 2);
  });

  it('a small array is exact after every delta', () => {
    const result = copiedEntriesPerChar(records(150), 8);
    expect(result.exactReads).toBe(result.reads);
  });

  it('a huge open array lags by a bounded amount, and is exact once done', () => {
    const text = records(20_000);
    const parser = createPartialJsonParser();
    let worstLag = 0;
    let completed = 0;
    for (const chunk of splitBySizes(text, [8])) {
      parser.push(chunk);
      for (const c of chunk) if (c === '}') completed++;
      const shown = (parser.value() as unknown[]).length;
      worstLag = Math.max(worstLag, completed - shown);
    }
    // The documented bound: entries / 16 characters of input, here counted in records.
    const charsPerRecord = text.length / 20_000;
    expect(worstLag).toBeLessThanOrEqual(Math.ceil(20_000 / 16 / charsPerRecord) + 2);
    expect(worstLag).toBeGreaterThan(0); // it does lag: copying 20,000 entries per read is what it avoids
    expect(parser.done()).toBe(true);
    expect(parser.value()).toEqual(JSON.parse(text));
  });
});

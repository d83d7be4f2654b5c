import fc from 'fast-check';
import { loadFixtures } from '../helpers/fixtures';

// Generators shared by the fuzz tests (test/faults/fuzz.test.ts through the decoders and the
// session, test/faults/hook-fuzz.test.tsx through useModelStream over a real socket).

const fixtures = loadFixtures();

/** A case as fast-check prints it in a counterexample: the fixture and its chunks as text, not byte arrays. */
function printable<T extends { name: string; chunks: Uint8Array[] }>(value: T): T {
  const utf8 = new TextDecoder();
  return Object.assign(value, {
    [fc.toStringMethod]: () => `${value.name}, ${value.chunks.length} chunks: ${JSON.stringify(value.chunks.map((c) => utf8.decode(c)))}`,
  });
}

/** Cuts bytes into chunks at the given positions. */
export function cut(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const points = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks.filter((c) => c.length > 0);
}

/** Mutations of a fixture: flipped bytes, a cut, a duplicated slice, two events swapped. */
export const mutatedFixture = fc
  .record({
    index: fc.nat(),
    flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
    cutAt: fc.option(fc.nat(), { nil: null }),
    duplicate: fc.option(fc.record({ at: fc.nat(), length: fc.integer({ min: 1, max: 400 }) }), { nil: null }),
    swap: fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: null }),
    splits: fc.array(fc.nat(), { maxLength: 12 }),
  })
  .map(({ index, flips, cutAt, duplicate, swap, splits }) => {
    const fixture = fixtures[index % fixtures.length]!;
    let text = new TextDecoder().decode(fixture.bytes);
    if (swap) {
      const events = text.split('\n\n');
      const a = swap[0] % events.length;
      const b = swap[1] % events.length;
      [events[a], events[b]] = [events[b]!, events[a]!];
      text = events.join('\n\n');
    }
    let bytes = new TextEncoder().encode(text);
    if (duplicate) {
      const at = duplicate.at % bytes.length;
      const slice = bytes.slice(at, at + duplicate.length);
      const grown = new Uint8Array(bytes.length + slice.length);
      grown.set(bytes.subarray(0, at + slice.length));
      grown.set(slice, at + slice.length);
      grown.set(bytes.subarray(at + slice.length), at + 2 * slice.length);
      bytes = grown;
    }
    bytes = bytes.slice();
    for (const flip of flips) bytes[flip.at % bytes.length] = flip.value;
    if (cutAt !== null) bytes = bytes.subarray(0, cutAt % (bytes.length + 1));
    return printable({ name: fixture.name, contentType: fixture.contentType, chunks: cut(bytes, splits) });
  });

/** A fixture as recorded (no mutation), split at random points: the healthy path, for the tests that also Stop. */
export const splitFixture = fc
  .record({ index: fc.nat(), splits: fc.array(fc.nat(), { maxLength: 12 }) })
  .map(({ index, splits }) => {
    const fixture = fixtures[index % fixtures.length]!;
    return printable({ name: fixture.name, contentType: fixture.contentType, chunks: cut(fixture.bytes, splits) });
  });

import { describe, expect, it } from 'vitest';
import { createAccumulator } from '../../src/core/accumulator';
import { collectStream } from '../../src/core/collectStream';
import { createStreamDecoder } from '../../src/core/decoders/createStreamDecoder';
import type { DecodeOptions, StreamSnapshot } from '../../src/core/types';
import { fixtureVariants, loadFixtures, randomSplit, seededRandom, splitAt, streamOf, unitsOf, type FixtureVariant } from '../helpers/fixtures';

// Every transcript in test/fixtures, with every line ending its framing allows (SSE: LF, CRLF, CR;
// the Chat transcripts also as NDJSON: LF, CRLF; plain text as it is), must decode to its
// *.expected.json however the network cuts it.
//
// Every byte position is a chunk boundary, exhaustively, without decoding the whole stream once
// per position (that is quadratic: about 1.5 GB of decoding here, too slow): run `offset` cuts
// every event at that offset, so each position of each event is a boundary in exactly one run,
// and between two cuts of a run lies the end of an event, where the decoder's framing state
// starts over. A run's snapshot is therefore the two-chunk split's at each of its cuts; when a run
// fails, the test names the cut that also fails alone. The runs decode with the decoder directly;
// two-chunk splits at every event end, seeded random splits and a BOM go through a real
// `Response` body read by collectStream.

const variants = fixtureVariants();
const encoder = new TextEncoder();
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

/** collectStream without the stream around it: the same decoder and accumulator, chunks pushed directly. */
function decodeChunks(chunks: readonly Uint8Array[], options: DecodeOptions): StreamSnapshot {
  const accumulator = createAccumulator();
  const decoder = createStreamDecoder(options, accumulator.apply);
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return accumulator.snapshot();
}

/** collectStream over a real `Response` whose body delivers exactly these chunks. */
function collectResponse(chunks: readonly Uint8Array[], contentType: string | null): Promise<StreamSnapshot> {
  const response = new Response(streamOf(chunks), contentType ? { headers: { 'content-type': contentType } } : {});
  return collectStream(response.body!, { contentType: response.headers.get('content-type') ?? undefined });
}

/** The text around a byte position, the position marked `|` and line ends spelled out, for failure messages. */
function around(bytes: Uint8Array, at: number): string {
  const text = (from: number, to: number) =>
    new TextDecoder().decode(bytes.subarray(Math.max(0, from), to)).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return `${text(at - 24, at)}|${text(at, at + 24)}`;
}

describe('collectStream on the shared fixtures', () => {
  it('finds every fixture and variant', () => {
    expect(loadFixtures().length).toBeGreaterThanOrEqual(26);
    // 25 SSE × 3 endings, 6 Chat as NDJSON × 2 endings, 1 plain text
    expect(variants.length).toBe(25 * 3 + 6 * 2 + 1);
  });

  for (const variant of variants) {
    const expected = JSON.stringify(variant.expected);
    const options = { contentType: variant.contentType };
    const same = (snapshot: StreamSnapshot) => JSON.stringify(snapshot) === expected;

    describe(variant.name, () => {
      it('whole: with the protocol named, detected from the content type, detected with no content type', async () => {
        for (const [how, decodeOptions] of [
          ['named', { protocol: variant.protocol }],
          ['content type', options],
          ['no content type', {}],
        ] as const) {
          const snapshot = await collectStream(streamOf([variant.bytes]), decodeOptions);
          expect({ how, snapshot }).toEqual({ how, snapshot: variant.expected });
        }
      });

      it('every byte position as a chunk boundary (each event cut at every offset)', () => {
        const { bytes } = variant;
        const units = unitsOf(variant);
        const longest = Math.max(...units.map(([start, end]) => end - start));
        const boundaries = new Uint8Array(bytes.length + 1);
        for (let offset = 0; offset < longest; offset++) {
          const cuts = units.filter(([start, end]) => start + offset > 0 && start + offset < end).map(([start]) => start + offset);
          for (const cut of cuts) boundaries[cut]!++;
          const snapshot = decodeChunks(splitAt(bytes, cuts), options);
          if (!same(snapshot)) {
            const alone = cuts.find((cut) => !same(decodeChunks(splitAt(bytes, [cut]), options)));
            const failsAlone = alone === undefined ? null : { cut: alone, around: around(bytes, alone) };
            expect({ offset, failsAlone, snapshot }).toEqual({ offset, failsAlone: null, snapshot: variant.expected });
          }
        }
        // exhaustive: each position 1 … length-1 was a boundary exactly once
        expect(boundaries.subarray(1, bytes.length).every((count) => count === 1)).toBe(true);
      });

      it('split in two near every event end (±4 bytes) and in the first and last 32 bytes, through a real Response', async () => {
        const { bytes } = variant;
        const units = unitsOf(variant);
        const cuts = new Set<number>();
        const near = (at: number, reach: number) => {
          for (let cut = at - reach; cut <= at + reach; cut++) if (cut > 0 && cut < bytes.length) cuts.add(cut);
        };
        for (const [start] of units) near(start, 4);
        near(0, 32);
        near(bytes.length, 32);
        const firstEventEnd = units[0]![1];
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)];
          const snapshot = await collectResponse(chunks, variant.contentType);
          // Inside the first event, the framing is also sniffed from the first line.
          const sniffed = cut <= firstEventEnd + 4 ? await collectResponse(chunks, null) : snapshot;
          if (!same(snapshot) || !same(sniffed)) {
            expect({ cut, around: around(bytes, cut), snapshot, sniffed }).toEqual({
              cut,
              around: around(bytes, cut),
              snapshot: variant.expected,
              sniffed: variant.expected,
            });
          }
        }
      });

      it('in 50 seeded random splits into 2–40 chunks', async () => {
        const random = seededRandom(variant.bytes.length);
        for (let run = 0; run < 50; run++) {
          const chunks = randomSplit(variant.bytes, random);
          const snapshot = await collectStream(streamOf(chunks), options);
          if (!same(snapshot)) {
            const sizes = chunks.map((c) => c.length);
            expect({ run, sizes, snapshot }).toEqual({ run, sizes, snapshot: variant.expected });
          }
        }
      });

      it('with a BOM, in 30 seeded splits into 3 pieces (inside the BOM, inside multi-byte characters), through a real Response', async () => {
        const bytes = new Uint8Array(BOM.length + variant.bytes.length);
        bytes.set(BOM);
        bytes.set(variant.bytes, BOM.length);
        // Positions just before a UTF-8 continuation byte: a cut there splits a character.
        const insideCharacters: number[] = [];
        for (let i = BOM.length; i < bytes.length; i++) if ((bytes[i]! & 0xc0) === 0x80) insideCharacters.push(i);
        const random = seededRandom(bytes.length * 31 + 7);
        const pick = (from: readonly number[]) => from[Math.floor(random() * from.length)]!;
        const anywhere = () => 1 + Math.floor(random() * (bytes.length - 1));
        for (let run = 0; run < 30; run++) {
          const first = run < 2 ? run + 1 : anywhere(); // the first two runs cut the BOM itself
          const second = insideCharacters.length > 0 && run % 3 !== 2 ? pick(insideCharacters) : anywhere();
          const cuts = [...new Set([first, second])].sort((a, b) => a - b);
          const chunks = splitAt(bytes, cuts);
          const contentType = run % 2 === 0 ? variant.contentType : null;
          const snapshot = await collectResponse(chunks, contentType);
          if (!same(snapshot)) {
            expect({ run, cuts, contentType, snapshot }).toEqual({ run, cuts, contentType, snapshot: variant.expected });
          }
        }
      });
    });
  }
});

describe('the variants are what they claim', () => {
  const byName = (name: string): FixtureVariant => variants.find((v) => v.name === name)!;
  const text = (v: FixtureVariant) => new TextDecoder().decode(v.bytes);

  it('rewrites only the line ends: CR and CRLF variants hold no other change, JSON strings keep their escaped \\n', () => {
    const lf = text(byName('a-openai-chat/1-text-usage (lf)'));
    expect(text(byName('a-openai-chat/1-text-usage (crlf)'))).toBe(lf.replace(/\n/g, '\r\n'));
    expect(text(byName('a-openai-chat/1-text-usage (cr)'))).toBe(lf.replace(/\n/g, '\r'));
    expect(text(byName('a-openai-chat/1-text-usage (cr)'))).not.toContain('\n');
  });

  it('NDJSON: one Chat chunk per line, no [DONE], the cut-off event left as a last line without its newline', () => {
    const ndjson = text(byName('a-openai-chat/3-cutoff-mid-tool-call as NDJSON (lf)'));
    const lines = ndjson.split('\n');
    expect(lines.slice(0, -1).every((line) => JSON.parse(line).object === 'chat.completion.chunk')).toBe(true);
    expect(() => JSON.parse(lines.at(-1)!)).toThrow();
    expect(ndjson).not.toContain('data:');
    expect(text(byName('a-openai-chat/1-text-usage as NDJSON (lf)'))).not.toContain('[DONE]');
    expect(text(byName('a-openai-chat/1-text-usage as NDJSON (crlf)'))).toMatch(/}\r\n{/);
  });

  it('splits events where the framing does: SSE at the blank line, NDJSON at the line end', () => {
    const units = (name: string) => {
      const v = byName(name);
      return unitsOf(v).map(([start, end]) => new TextDecoder().decode(v.bytes.subarray(start, end)));
    };
    for (const ending of ['lf', 'crlf', 'cr'] as const) {
      const events = units(`c-anthropic-messages/1-text-usage (${ending})`);
      const blank = { lf: '\n\n', crlf: '\r\n\r\n', cr: '\r\r' }[ending];
      expect(events.every((event) => event.startsWith('event: ') && event.endsWith(blank))).toBe(true);
    }
    expect(units('a-openai-chat/3-cutoff-mid-tool-call (cr)').at(-1)).not.toMatch(/\r$/);
    expect(units('a-openai-chat/1-text-usage as NDJSON (crlf)').every((line) => line.startsWith('{') && line.endsWith('}\r\n'))).toBe(true);
    expect(encoder.encode(units('e-plain-ndjson/1-text-plain')[0]!)).toEqual(byName('e-plain-ndjson/1-text-plain').bytes);
  });
});

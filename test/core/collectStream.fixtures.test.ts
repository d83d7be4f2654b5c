import { describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { loadFixtures, randomSplit, seededRandom, streamOf } from '../helpers/fixtures';

const fixtures = loadFixtures();

describe('collectStream on the shared fixtures', () => {
  it('finds every fixture', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(18);
  });

  for (const fixture of fixtures) {
    describe(fixture.name, () => {
      it('whole, with the protocol named', async () => {
        expect(await collectStream(streamOf([fixture.bytes]), { protocol: fixture.protocol })).toEqual(fixture.expected);
      });

      it('whole, detected from the content type', async () => {
        expect(await collectStream(streamOf([fixture.bytes]), { contentType: fixture.contentType })).toEqual(fixture.expected);
      });

      it('whole, detected with no content type', async () => {
        expect(await collectStream(streamOf([fixture.bytes]))).toEqual(fixture.expected);
      });

      it('split into two chunks at every byte position', async () => {
        const { bytes } = fixture;
        for (let cut = 1; cut < bytes.length; cut++) {
          const snapshot = await collectStream(streamOf([bytes.subarray(0, cut), bytes.subarray(cut)]), {
            contentType: fixture.contentType,
          });
          if (JSON.stringify(snapshot) !== JSON.stringify(fixture.expected)) {
            expect({ cut, snapshot }).toEqual({ cut, snapshot: fixture.expected });
          }
        }
      });

      it('in 200 random multi-chunk splits', async () => {
        const random = seededRandom(fixture.bytes.length);
        for (let run = 0; run < 200; run++) {
          const chunks = randomSplit(fixture.bytes, random);
          const snapshot = await collectStream(streamOf(chunks), { contentType: fixture.contentType });
          if (JSON.stringify(snapshot) !== JSON.stringify(fixture.expected)) {
            expect({ run, cuts: chunks.map((c) => c.length), snapshot }).toEqual({ run, cuts: chunks.map((c) => c.length), snapshot: fixture.expected });
          }
        }
      });
    });
  }
});

/** `createLogEntries`: the SSE cut and the ids, for any byte split and every line-end style. */
import { describe, expect, it } from 'vitest';
import { createLogEntries } from '../../src/server/internal/resume/createLogEntries';
import { seededRandom as mulberry32 } from '../helpers/fixtures';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function run(input: string, cuts: number[]) {
  const bytes = encoder.encode(input);
  const split = createLogEntries('sse', 'tag');
  const entries = [];
  let wire = '';
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const out = split(bytes.subarray(from, to));
    entries.push(...out.entries);
    wire += decoder.decode(out.wire, { stream: true });
    from = to;
  }
  return { entries, wire, bytes };
}

describe('createLogEntries (sse)', () => {
  for (const eol of ['\n', '\r\n', '\r']) {
    it(`every event gets one id, its last field, with its end offset (${JSON.stringify(eol)} line ends), for any split`, () => {
      const events = ['event: a', 'data: {"x":1}', ': comment', 'data: é☕ 😀', 'id: upstream-own-id\ndata: y'].map((e) => e.replaceAll('\n', eol));
      const input = events.map((e) => `${e}${eol}${eol}`).join('') + eol; // and a stray blank line
      const random = mulberry32(7);
      for (let trial = 0; trial < 200; trial++) {
        const cuts = Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * input.length)).sort((a, b) => a - b);
        const { entries, wire, bytes } = run(input, cuts);
        // Without our id lines, the wire is the input; the entries tile the content.
        expect(wire.replace(/id: \d+\.tag\n/g, '')).toBe(input);
        let at = 0;
        for (const entry of entries) {
          expect(entry.start).toBe(at);
          at = entry.end;
        }
        expect(at).toBe(bytes.length);
        // One id per event, as the event's last line, whose offset is the event's end in the input.
        const ids = [...wire.matchAll(/id: (\d+)\.tag\n/g)].map((m) => Number(m[1]));
        expect(ids).toHaveLength(events.length);
        let end = 0;
        ids.forEach((id, i) => {
          end += encoder.encode(`${events[i]}${eol}${eol}`).length;
          // A cut between the CR and the LF of the blank line ends the event at its CR: the LF
          // comes with the next piece (a blank line of nothing to a parser that was reset).
          if (eol === '\r\n' && id === end - 1) return;
          expect(id).toBe(end);
        });
        expect(wire).toMatch(new RegExp(`id: ${ids[0]}\\.tag\\n${eol === '\r' ? '\\r' : eol === '\r\n' ? '\\r\\n' : '\\n'}`));
      }
    });
  }

  it('text and NDJSON: one entry per chunk, the bytes as they are', () => {
    const split = createLogEntries('ndjson', 'tag');
    const a = split(encoder.encode('{"a":1}\n'));
    const b = split(encoder.encode('{"b":2}\n'));
    expect(a.entries[0]).toMatchObject({ start: 0, end: 8 });
    expect(b.entries[0]).toMatchObject({ start: 8, end: 16 });
    expect(decoder.decode(b.wire)).toBe('{"b":2}\n');
  });
});

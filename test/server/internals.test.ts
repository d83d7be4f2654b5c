import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBoundaryBuffer } from '../../src/server/internal/createBoundaryBuffer';
import { estimateUsage } from '../../src/server/internal/estimateUsage';
import { readBodyCapped } from '../../src/server/internal/readBodyCapped';
import { hashSecret, isValidSecret, isValidStreamId, secretHashesEqual } from '../../src/server/internal/validation';
import { createAccumulator } from '../../src/core/accumulator';
import { createStreamDecoder, STREAM_CANCELLED_EVENT } from '../../src/core/decoders/createStreamDecoder';
import type { StreamEvent } from '../../src/core/types';
import { fixtureVariants, unitsOf, type FixtureVariant } from '../helpers/fixtures';

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

describe('createBoundaryBuffer', () => {
  const sse = 'data: {"a":1}\n\nevent: x\ndata: 2\n\n: keep-alive\n\ndata: 3\r\n\r\ndata: 4\r\rdata: 5\n\n';
  const events = ['data: {"a":1}\n\n', 'event: x\ndata: 2\n\n', ': keep-alive\n\n', 'data: 3\r\n\r\n', 'data: 4\r\r', 'data: 5\n\n'];

  it('forwards exactly the complete SSE events, whatever the chunking (LF, CRLF, CR)', () => {
    const bytes = enc(sse);
    const boundaries = new Set<string>(['']);
    let prefix = '';
    for (const event of events) {
      prefix += event;
      boundaries.add(prefix);
      if (prefix.endsWith('\r\n')) boundaries.add(prefix.slice(0, -1));
    }
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const size of [1, 3, 7]) {
        const buffer = createBoundaryBuffer();
        let out = '';
        const feed = (part: Uint8Array) => {
          for (let i = 0; i < part.length; i += size) {
            buffer.push(part.slice(i, i + size));
            out += dec(buffer.take('sse')) ?? '';
            // What was forwarded always ends at an event boundary (or at the CR of a CRLF blank
            // line whose LF has not arrived yet: a CR alone already ends the line).
            expect(boundaries.has(out), JSON.stringify(out)).toBe(true);
          }
        };
        feed(bytes.slice(0, cut));
        feed(bytes.slice(cut));
        expect(out).toBe(sse);
      }
    }
  });

  it('keeps a CRLF blank line whole when the LF arrives in the next chunk', () => {
    const buffer = createBoundaryBuffer();
    buffer.push(enc('data: 1\r\n\r'));
    expect(dec(buffer.take('sse'))).toBe('data: 1\r\n\r');
    buffer.push(enc('\ndata: 2'));
    // The lone LF completes the CRLF; it belongs to the forwarded event, not to the next one.
    expect(dec(buffer.take('sse'))).toBe('\n');
    buffer.drop();
    expect(buffer.flush()).toBeNull();
  });

  it('holds an incomplete event, and drop() discards it', () => {
    const buffer = createBoundaryBuffer();
    buffer.push(enc('data: 1\n\ndata: {"half'));
    expect(dec(buffer.take('sse'))).toBe('data: 1\n\n');
    expect(buffer.take('sse')).toBeNull();
    buffer.drop();
    buffer.push(enc('data: 2\n\n'));
    expect(dec(buffer.take('sse'))).toBe('data: 2\n\n');
  });

  it('cuts NDJSON at line ends and text at UTF-8 character ends', () => {
    const ndjson = createBoundaryBuffer();
    ndjson.push(enc('{"a":1}\n{"b":'));
    expect(dec(ndjson.take('ndjson'))).toBe('{"a":1}\n');
    const text = createBoundaryBuffer();
    const coffee = enc('a☕🌱');
    text.push(coffee.slice(0, 3));
    expect(dec(text.take('text'))).toBe('a');
    text.push(coffee.slice(3, 6));
    expect(dec(text.take('text'))).toBe('☕');
    text.push(coffee.slice(6));
    expect(dec(text.take('text'))).toBe('🌱');
  });

  it('forwards nothing while the framing is unknown, and everything on flush', () => {
    const buffer = createBoundaryBuffer();
    buffer.push(enc('data: 1\n\n'));
    expect(buffer.take(null)).toBeNull();
    expect(dec(buffer.flush())).toBe('data: 1\n\n');
  });

  it('gives up holding past maxHeldBytes (an event that large is the client decoder’s to refuse)', () => {
    const buffer = createBoundaryBuffer(10);
    buffer.push(enc('data: 0123456789'));
    expect(dec(buffer.take('sse'))).toBe('data: 0123456789');
  });

  describe('on every SSE fixture, with LF, CRLF and CR line ends', () => {
    const sseVariants = fixtureVariants().filter((v) => v.framing === 'sse');

    /**
     * Where what is forwarded may end: after an event's blank line, or (CRLF) at the CR of that
     * blank line, whose LF has not come yet (a CR alone already ends the line; the LF follows).
     */
    const boundariesOf = (variant: FixtureVariant) => {
      const ends = unitsOf(variant)
        .map(([, end]) => end)
        .filter((end) => variant.bytes[end - 1] === 10 || variant.bytes[end - 1] === 13); // not a cut-off last event
      return [0, ...ends.flatMap((end) => (variant.ending === 'crlf' ? [end - 1, end] : [end]))];
    };
    /** The farthest boundary at or before `at`: all that may, and must, have been forwarded by then. */
    const lastBoundary = (boundaries: number[], at: number) => boundaries.filter((b) => b <= at).at(-1)!;

    it('split in two at every byte, CR-only: forwards each complete event at once, nothing of an incomplete one', () => {
      for (const variant of sseVariants.filter((v) => v.ending === 'cr')) {
        const { bytes } = variant;
        const boundaries = boundariesOf(variant);
        for (let cut = 1; cut < bytes.length; cut++) {
          const buffer = createBoundaryBuffer();
          buffer.push(bytes.subarray(0, cut));
          const first = buffer.take('sse');
          buffer.push(bytes.subarray(cut));
          const second = buffer.take('sse');
          const rest = buffer.flush();
          const forwarded = [first?.length ?? 0, second?.length ?? 0];
          const want = [lastBoundary(boundaries, cut), lastBoundary(boundaries, bytes.length) - lastBoundary(boundaries, cut)];
          if (forwarded[0] !== want[0] || forwarded[1] !== want[1]) {
            expect({ fixture: variant.name, cut, forwarded }).toEqual({ fixture: variant.name, cut, forwarded: want });
          }
          const whole = Buffer.concat([first ?? new Uint8Array(), second ?? new Uint8Array(), rest ?? new Uint8Array()]);
          if (!whole.equals(bytes)) expect({ fixture: variant.name, cut, whole: dec(whole) }).toEqual({ fixture: variant.name, cut, whole: dec(bytes) });
        }
      }
    });

    it('every byte a chunk boundary (each event cut at every offset), LF and CRLF: take() always ends at the last boundary', () => {
      // CR-only is split literally above. Here one run cuts every event at the same offset: each
      // position is a boundary once, and the buffer's state starts over at each event's end.
      for (const variant of sseVariants.filter((v) => v.ending !== 'cr')) {
        const { bytes } = variant;
        const boundaries = boundariesOf(variant);
        const units = unitsOf(variant);
        const longest = Math.max(...units.map(([start, end]) => end - start));
        for (let offset = 0; offset < longest; offset++) {
          const cuts = units.filter(([start, end]) => start + offset > 0 && start + offset < end).map(([start]) => start + offset);
          const buffer = createBoundaryBuffer();
          let pushed = 0;
          let forwarded = 0;
          for (const cut of [...cuts, bytes.length]) {
            buffer.push(bytes.subarray(pushed, cut));
            pushed = cut;
            forwarded += buffer.take('sse')?.length ?? 0;
            if (forwarded !== lastBoundary(boundaries, pushed)) {
              expect({ fixture: variant.name, offset, pushed, forwarded }).toEqual({ fixture: variant.name, offset, pushed, forwarded: lastBoundary(boundaries, pushed) });
            }
          }
          expect(forwarded + (buffer.flush()?.length ?? 0)).toBe(bytes.length);
        }
      }
    });

    it('a cancel at any boundary: the client reads the forwarded events whole, then the stream-cancelled terminal', () => {
      const terminal = enc(`event: ${STREAM_CANCELLED_EVENT}\ndata: {"usage":{"inputTokens":1,"outputTokens":2},"usageEstimated":true}\n\n`);
      for (const variant of sseVariants) {
        for (const boundary of boundariesOf(variant)) {
          const events: StreamEvent[] = [];
          const decoder = createStreamDecoder({ protocol: variant.protocol }, (event) => events.push(event));
          decoder.push(variant.bytes.subarray(0, boundary));
          decoder.push(terminal);
          decoder.end();
          expect({ fixture: variant.name, boundary, last: events.at(-1) }).toEqual({
            fixture: variant.name,
            boundary,
            last: { type: 'finish', finishReason: 'cancelled', rawFinishReason: STREAM_CANCELLED_EVENT },
          });
        }
      }
    });
  });
});

describe('estimateUsage', () => {
  it('estimates ceil(characters / 4) over text, reasoning and tool-call names and arguments', () => {
    const acc = createAccumulator();
    acc.apply({ type: 'text-delta', delta: 'Hello' }); // 5
    acc.apply({ type: 'reasoning-delta', delta: 'hmm' }); // 3
    acc.apply({ type: 'tool-call-start', id: 'c', name: 'get' }); // 3
    acc.apply({ type: 'tool-call-delta', id: 'c', delta: '{"a":' }); // 5
    expect(estimateUsage(acc.message())).toEqual({ usage: { inputTokens: null, outputTokens: 4 }, usageEstimated: true });
  });

  it('keeps a known input count and replaces a placeholder output count by the estimate', () => {
    const acc = createAccumulator();
    acc.apply({ type: 'usage', usage: { inputTokens: 50, outputTokens: 1 } });
    acc.apply({ type: 'text-delta', delta: 'x'.repeat(40) });
    expect(estimateUsage(acc.message())).toEqual({ usage: { inputTokens: 50, outputTokens: 10 }, usageEstimated: true });
  });

  it('uses the provider count as is once the stream finished', () => {
    const acc = createAccumulator();
    acc.apply({ type: 'text-delta', delta: 'x'.repeat(400) });
    acc.apply({ type: 'finish', finishReason: 'stop', rawFinishReason: 'stop' });
    acc.apply({ type: 'usage', usage: { inputTokens: 5, outputTokens: 80 } });
    expect(estimateUsage(acc.message())).toEqual({ usage: { inputTokens: 5, outputTokens: 80 }, usageEstimated: false });
  });
});

describe('validation', () => {
  it('hashes secrets with SHA-256 (hex)', async () => {
    expect(await hashSecret('s3cret-s3cret-s3cret')).toBe(createHash('sha256').update('s3cret-s3cret-s3cret').digest('hex'));
  });

  it('compares hashes fully: equal, one character off at the start or the end, different lengths', () => {
    const a = 'a'.repeat(64);
    expect(secretHashesEqual(a, a)).toBe(true);
    expect(secretHashesEqual(a, `b${a.slice(1)}`)).toBe(false);
    expect(secretHashesEqual(a, `${a.slice(1)}b`)).toBe(false);
    expect(secretHashesEqual(a, a.slice(1))).toBe(false);
    expect(secretHashesEqual('', a)).toBe(false);
  });

  it('accepts ids of 1–128 [A-Za-z0-9_-] and secrets of 16–256 base64url/hex', () => {
    expect(isValidStreamId(crypto.randomUUID())).toBe(true);
    expect(isValidStreamId('')).toBe(false);
    expect(isValidStreamId('a'.repeat(129))).toBe(false);
    expect(isValidStreamId('a.b')).toBe(false);
    expect(isValidStreamId('ä')).toBe(false);
    expect(isValidSecret('0123456789abcdef')).toBe(true);
    expect(isValidSecret('AbC-_'.repeat(4) + '==')).toBe(true);
    expect(isValidSecret('a'.repeat(15))).toBe(false);
    expect(isValidSecret('a'.repeat(257))).toBe(false);
    expect(isValidSecret('a'.repeat(20) + '/+')).toBe(false);
  });
});

describe('readBodyCapped', () => {
  it('stops reading a body past the cap, without trusting content-length', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const request = new Request('http://x', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(await readBodyCapped(request, 4096)).toEqual({ ok: false, reason: 'too-large' });
    expect(pulls).toBeLessThanOrEqual(7);
  });

  it('refuses a declared content-length past the cap without reading', async () => {
    const request = new Request('http://x', { method: 'POST', body: 'x'.repeat(5000) });
    expect(await readBodyCapped(request, 4096)).toEqual({ ok: false, reason: 'too-large' });
  });

  it('reads a body at the cap, and refuses invalid UTF-8', async () => {
    expect(await readBodyCapped(new Request('http://x', { method: 'POST', body: 'x'.repeat(4096) }), 4096)).toEqual({ ok: true, text: 'x'.repeat(4096) });
    expect(await readBodyCapped(new Request('http://x', { method: 'POST', body: new Uint8Array([0x7b, 0xff, 0x7d]) }), 4096)).toEqual({ ok: false, reason: 'unreadable' });
  });
});

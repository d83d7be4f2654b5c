import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { createStreamSession } from '../../src/core/createStreamSession';
import { StreamProtocolError } from '../../src/core/errors';
import { PROTOCOLS, type Protocol } from '../../src/core/types';
import { streamOf } from '../helpers/fixtures';
import { cut, mutatedFixture } from './mutations';

// Fuzzing, short run (always): random bytes and mutated fixtures through every decoder and through
// the stream session. The outcome must always be defined: a snapshot or a typed
// StreamProtocolError, never another exception, never a hang, never a session left streaming.
// FUZZ_RUNS=<n> raises the number of runs (e.g. FUZZ_RUNS=20000 npx vitest run test/faults/fuzz).
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

const protocolOrAuto = fc.constantFrom<Protocol | 'auto'>('auto', ...PROTOCOLS);
const contentType = fc.constantFrom<string | undefined>(undefined, 'text/event-stream', 'application/x-ndjson', 'text/plain', 'application/octet-stream');

async function collectOutcome(chunks: Uint8Array[], options: { protocol?: Protocol | 'auto'; contentType?: string | undefined }) {
  try {
    const snapshot = await collectStream(streamOf(chunks), options);
    expect(typeof snapshot.text).toBe('string');
    return 'snapshot';
  } catch (error) {
    // The only failure a byte stream may cause is a typed protocol error.
    expect(error).toBeInstanceOf(StreamProtocolError);
    return 'protocol-error';
  }
}

describe(`fuzzing (${RUNS} runs each; FUZZ_RUNS raises it)`, () => {
  it('random bytes through every decoder: a snapshot or a StreamProtocolError, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 8 }), protocolOrAuto, contentType, async (bytes, splits, protocol, type) => {
        await collectOutcome(cut(bytes, splits), { protocol, contentType: type });
      }),
      { numRuns: RUNS },
    );
  });

  it('random SSE-looking text (data:, event:, JSON fragments) through every decoder', async () => {
    const line = fc.oneof(
      fc.constant(''),
      fc.constant('data: [DONE]'),
      fc.json().map((j) => `data: ${j}`),
      fc.constantFrom('event: message_start', 'event: error', 'event: stream-cancelled', ': keep-alive', 'id: 1', 'retry: x'),
      fc.string().map((s) => `data: ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 40 }), fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 8 }), protocolOrAuto, async (lines, eol, splits, protocol) => {
        const bytes = new TextEncoder().encode(lines.join(eol));
        await collectOutcome(cut(bytes, splits), { protocol, contentType: 'text/event-stream' });
      }),
      { numRuns: RUNS },
    );
  });

  it('every fixture mutated (bytes flipped, cut, duplicated, events swapped) and split at random points', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFixture, async ({ contentType: type, chunks }) => {
        await collectOutcome(chunks, { contentType: type });
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated fixtures through the stream session: always a terminal status, never left streaming', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFixture, async ({ contentType: type, chunks }) => {
        const fetchStub: typeof fetch = async () => new Response(streamOf(chunks), { headers: { 'content-type': type } });
        const session = createStreamSession({ api: 'http://fuzz.invalid/chat', fetch: fetchStub, throttle: false, firstByteTimeoutMs: 0 });
        const final = await session.start();
        expect(['complete', 'incomplete']).toContain(final.status);
        if (final.status === 'incomplete') expect(final.incomplete).not.toBeNull();
        for (const call of final.message.toolCalls) expect(call.state).not.toBe('streaming');
        expect(session.getSnapshot()).toBe(final);
      }),
      { numRuns: RUNS },
    );
  });
});

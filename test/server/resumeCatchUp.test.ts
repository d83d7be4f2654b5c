/**
 * handleResume and a log that is behind the client (a Redis log is written after the bytes went
 * out): the resume waits for the log to catch up with the cursor, and only a cursor the log never
 * reaches answers 400. And a refused resume lets go of the log.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handleResume } from '../../src/server/handleResume';
import type { ResumeLogEntry, ResumeLogReader, ResumeLogStore, StreamRegistry } from '../../src/server/types';
import { newStream, sleep } from './helpers/http';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { streamTag } from '../../src/server/internal/resume/streamTag';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A log of `data` that the store reports as written only up to `lag(n)` bytes on its n-th open. */
function laggingRegistry(secret: string, data: Uint8Array, lag: (opens: number) => number): { registry: StreamRegistry; opens(): number } {
  let opens = 0;
  const store: ResumeLogStore = {
    create: () => {
      throw new Error('not used');
    },
    async open() {
      const total = Math.min(data.length, lag(opens++));
      const reader: ResumeLogReader = {
        meta: { contentType: 'text/plain', aiSdk: null, framing: 'text' },
        secretHash: sha256(secret),
        total,
        first: 0,
        ended: null,
        async *entries(after): AsyncGenerator<ResumeLogEntry> {
          if (after < data.length) yield { start: 0, end: data.length, data };
        },
      };
      return reader;
    },
  };
  return { registry: { resumeLog: store } as unknown as StreamRegistry, opens: () => opens };
}

const request = (ids: { streamId: string; secret: string }, cursor: string) =>
  new Request(`http://x/resume?streamId=${ids.streamId}`, { headers: { 'x-stream-cancel-secret': ids.secret, 'last-event-id': cursor } });

describe('handleResume: a log behind the cursor', () => {
  const data = new TextEncoder().encode('0123456789');

  it('waits until the log has reached the cursor, then answers the rest', async () => {
    const ids = newStream();
    const { registry, opens } = laggingRegistry(ids.secret, data, (n) => (n < 3 ? 4 : 10));
    const response = await handleResume(request(ids, '7'), { registry });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('789');
    expect(opens()).toBe(4);
  });

  it('answers 400 for a cursor the log never reaches, after a bounded wait', async () => {
    const ids = newStream();
    const { registry } = laggingRegistry(ids.secret, data, () => 10);
    const started = Date.now();
    const response = await handleResume(request(ids, '11'), { registry });
    expect(response.status).toBe(400);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a resume refused after reading its first entry lets go of the log (the reader stops counting)', async () => {
    const ids = newStream();
    const registry = createStreamRegistry();
    try {
      const writer = registry.resumeLog.create(ids.streamId, sha256(ids.secret), { contentType: 'text/event-stream', aiSdk: null, framing: 'sse' }, { maxBytes: 1 << 20, ttlMs: 60_000 });
      const event = new TextEncoder().encode('data: 1\n\n');
      writer.append({ start: 0, end: event.length, data: event });
      // A cursor inside the event: 400, after the first entry was read.
      const response = await handleResume(request(ids, `3.${streamTag(ids.streamId)}`), { registry });
      expect(response.status).toBe(400);
      await sleep(20);
      expect(await writer.readSince(1)).toBe(false);
    } finally {
      await registry.close();
    }
  });
});

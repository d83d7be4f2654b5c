/**
 * The Redis resume log when Redis goes away: a real redis-server that the test SIGKILLs (and starts
 * again, empty, on the same port). A resume then answers 503 or its body errors, within a bound,
 * never hangs and never leaves an unhandled rejection (vitest fails a run that has one); the
 * stream on its own instance goes on; and a log Redis lost, or writes that failed, answer 404 / a
 * ResumeGapError, never a silent gap.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';
import type { RedisStreamRegistryOptions } from '../../src/server/redis';
import { hasRedisServer, warnIfRedisMissing } from '../helpers/redisServer';
import { startRestartableRedisServer, startTcpRelay, type RestartableRedis } from '../helpers/redisRestart';
import { ResumeGapError } from '../../src/server/ResumeGapError';
import { createRedisStreamRegistry } from '../../src/server/redis';
import { concat, openWhen, readAll } from './helpers/resumeLogContract';
import { newStream, sleep, streamHeaders, textReader, waitFor } from './helpers/http';
import { cursorOf, resumeFrom, resumeInstance, type ResumeInstance } from './helpers/resumeInstance';

warnIfRedisMissing();

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.skipIf(!hasRedisServer)('the Redis resume log when Redis is killed (real redis-server)', () => {
  let redis: RestartableRedis;
  const instances: ResumeInstance[] = [];

  beforeAll(async () => {
    redis = await startRestartableRedisServer();
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  afterEach(async () => {
    for (const instance of instances.splice(0)) await instance.close();
    await redis.kill();
    await redis.restart();
  });

  const options = (): RedisStreamRegistryOptions => ({ url: redis.url, streamTtlMs: 3000, commandTimeoutMs: 500, cancelTimeoutMs: 1000 });

  it('a live resume through B errors when Redis dies, a new one answers 503, the stream on A goes on; once Redis is back empty, a resume from before answers 404', async () => {
    const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 15 });
    const a = await resumeInstance(options(), model, 'openai-chat');
    const b = await resumeInstance(options(), model, 'openai-chat');
    instances.push(a, b);
    const ids = newStream();
    const original = textReader((await fetch(`${a.server.url}/stream`, { method: 'POST', headers: streamHeaders(ids), body: '{}' })).body!);
    await original.until((text) => text.split('\n\n').length > 4);
    const follower = await resumeFrom(b.server.url, ids);
    expect(follower.status).toBe(200);
    const following = textReader(follower.body!);
    await following.until((text) => text.split('\n\n').length > 6);

    await redis.kill();
    const killedAt = Date.now();
    // The resume body errors (its next look at the log fails): the client would resume again.
    await expect(following.rest()).rejects.toThrow();
    expect(Date.now() - killedAt).toBeLessThan(3000);
    const retry = await resumeFrom(b.server.url, ids, cursorOf(following.text, 'openai-chat').cursor, { signal: AbortSignal.timeout(5000) });
    expect(retry.status).toBe(503);
    expect(Date.now() - killedAt).toBeLessThan(4000);

    // Redis back, empty: the log is lost; the writer on A starts it again at its next entry, so a
    // cursor from before answers 404 (never a silent gap), and the stream's own client got it all.
    await redis.restart();
    const before = cursorOf(following.text, 'openai-chat').cursor;
    await waitFor(async () => (await resumeFrom(b.server.url, ids, before)).status === 404, 'a resume from before the restart answers 404', 8000);
    const full = await original.rest();
    expect(full).toContain('[DONE]');
    expect(model.runs[0]!.finished).toBe(true);
  });

  it('a replay in progress errors when Redis dies, and a resume while it is down answers 503 at once: never a hang', async () => {
    const a = await resumeInstance(options(), createFakeModel({ protocol: 'text' }), 'text');
    instances.push(a);
    const ids = newStream();
    // A long log written straight into the store: its replay takes many looks at Redis.
    const writer = a.registry.resumeLog!.create(ids.streamId, sha256(ids.secret), { contentType: 'text/plain', aiSdk: null, framing: 'text' }, { maxBytes: 1 << 24, ttlMs: 60_000 });
    const line = new TextEncoder().encode(`${'y'.repeat(99)}\n`);
    let offset = 0;
    for (let i = 0; i < 20_000; i++, offset += line.length) writer.append({ start: offset, end: offset + line.length, data: line });
    writer.end('complete');
    await waitFor(async () => (await a.registry.resumeLog!.open(ids.streamId))?.ended === 'complete', 'the log written', 8000);
    const replay = await resumeFrom(a.server.url, ids, '0');
    expect(replay.status).toBe(200);
    const reading = replay.body!.getReader();
    expect((await reading.read()).done).toBe(false);
    await redis.kill();
    const killedAt = Date.now();
    const drain = async () => {
      let bytes = 0;
      for (;;) {
        const next = await reading.read();
        if (next.done) return bytes;
        bytes += next.value.length;
      }
    };
    await expect(drain()).rejects.toThrow();
    expect(Date.now() - killedAt).toBeLessThan(3000);
    const down = await resumeFrom(a.server.url, ids, '0', { signal: AbortSignal.timeout(5000) });
    expect(down.status).toBe(503);
    expect(Date.now() - killedAt).toBeLessThan(4000);
  });

  it('writes that fail while Redis is unreachable leave a gap that readers see (ResumeGapError), never a silent one', async () => {
    const relay = await startTcpRelay(redis.port);
    const writerSide = createRedisStreamRegistry({ url: relay.url, commandTimeoutMs: 300 });
    const readerSide = createRedisStreamRegistry({ url: redis.url, commandTimeoutMs: 300 });
    try {
      await Promise.all([writerSide.ready(), readerSide.ready()]);
      const streamId = `gap-${Date.now()}`;
      const writer = writerSide.resumeLog.create(streamId, 'a'.repeat(64), { contentType: null, aiSdk: null, framing: 'text' }, { maxBytes: 1 << 20, ttlMs: 60_000 });
      const sent: Uint8Array[] = [];
      let offset = 0;
      const append = (text: string) => {
        const data = new TextEncoder().encode(text);
        writer.append({ start: offset, end: offset + data.length, data });
        sent.push(data);
        offset += data.length;
      };
      for (let i = 0; i < 10; i++) append(`before ${i}\n`);
      const before = offset;
      await waitFor(async () => (await readerSide.resumeLog.open(streamId))?.total === before, 'the first entries written', 5000);
      relay.block();
      for (let i = 0; i < 5; i++) append(`lost ${i}\n`);
      await sleep(300);
      relay.unblock();
      // Keep writing until entries reach Redis again (node-redis reconnects by itself).
      const lostUpTo = offset;
      await waitFor(async () => {
        append(`after ${offset}\n`);
        await sleep(50);
        return ((await readerSide.resumeLog.open(streamId))?.total ?? 0) > lostUpTo;
      }, 'writes reach Redis again', 8000);
      writer.end('complete');
      const log = await openWhen(readerSide.resumeLog, streamId, (l) => l.ended === 'complete');
      expect(log.total).toBe(offset);
      expect(log.first).toBeGreaterThanOrEqual(lostUpTo);
      await expect(readAll(log, 0)).rejects.toBeInstanceOf(ResumeGapError);
      await expect(readAll(log, before)).rejects.toBeInstanceOf(ResumeGapError);
      expect(await readAll(log, log.first)).toEqual(concat(sent).subarray(log.first));
    } finally {
      await writerSide.close();
      await readerSide.close();
      await relay.close();
    }
  });
});

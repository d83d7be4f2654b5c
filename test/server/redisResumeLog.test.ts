/**
 * The Redis resume log (docs/resume.md, "Redis layout") on a real redis-server: the store contract,
 * what only Redis does (a crashed writer's log expires, the memory it holds), and two server
 * instances, where a stream runs on one and is resumed and cancelled through the other.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Protocol } from '../../src/core/types';
import { createFakeModel } from '../../src/server/fakeModel/createFakeModel';
import { createRedisStreamRegistry, type RedisStreamRegistryOptions } from '../../src/server/redis';
import { hasRedisServer, startRedisServer, warnIfRedisMissing, type RedisServer } from '../helpers/redisServer';
import { newStream, postCancel, sleep, streamHeaders, textReader } from './helpers/http';
import { cursorOf, resumeFrom, resumeInstance, type ResumeInstance } from './helpers/resumeInstance';
import { appendAll, openWhen, readAll, resumeLogContract } from './helpers/resumeLogContract';

warnIfRedisMissing();

describe.skipIf(!hasRedisServer)('the Redis resume log (real redis-server)', () => {
  let redis: RedisServer;
  let inspector: ReturnType<typeof createClient>;
  const instances: ResumeInstance[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    inspector = createClient({ url: redis.url });
    inspector.on('error', () => {});
    await inspector.connect();
  }, 30_000);

  afterAll(async () => {
    await inspector?.close().catch(() => {});
    await redis?.stop();
  });

  afterEach(async () => {
    for (const instance of instances.splice(0)) await instance.close();
  });

  const registry = async (extra: Partial<RedisStreamRegistryOptions> = {}) => {
    const made = await resumeInstance({ url: redis.url, ...extra } as RedisStreamRegistryOptions, createFakeModel({ protocol: 'text' }), 'text');
    instances.push(made);
    return made.registry;
  };

  describe('the resume log contract', () => {
    resumeLogContract({
      create: async () => {
        const made = createRedisStreamRegistry({ url: redis.url });
        await made.ready();
        return made;
      },
    });
  });

  it("a crashed writer's log (no end) expires ttlMs after its last write: open() answers null", async () => {
    const logs = (await registry()).resumeLog!;
    const streamId = `crash-${randomUUID()}`;
    const writer = logs.create(streamId, 'e'.repeat(64), { contentType: null, aiSdk: null, framing: 'text' }, { maxBytes: 1000, ttlMs: 300 });
    appendAll(writer, [new TextEncoder().encode('never ended')]);
    await openWhen(logs, streamId, (l) => l.total === 11);
    for (const suffix of ['log', 'logmeta']) {
      const ttl = await inspector.pTTL(`rms:{${streamId}}:${suffix}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
    }
    await sleep(450);
    expect(await logs.open(streamId)).toBeNull();
    expect(await inspector.exists([`rms:{${streamId}}:log`, `rms:{${streamId}}:logmeta`, `rms:{${streamId}}:readers`])).toBe(0);
  });

  it('holds a bounded memory per stream: MEMORY USAGE of the log key stays near maxBytes', async () => {
    const logs = (await registry()).resumeLog!;
    const maxBytes = 256 * 1024;
    const figures: string[] = [];
    for (const entrySize of [100, 4096]) {
      const streamId = `memory-${entrySize}-${randomUUID()}`;
      const writer = logs.create(streamId, 'f'.repeat(64), { contentType: null, aiSdk: null, framing: 'text' }, { maxBytes, ttlMs: 60_000 });
      const total = 4 * 1024 * 1024;
      const chunk = new Uint8Array(randomBytes(entrySize));
      let offset = 0;
      while (offset < total) {
        offset = appendAll(writer, [chunk], offset);
        if (offset % (64 * entrySize) === 0) await sleep(0);
      }
      writer.end('complete');
      const log = await openWhen(logs, streamId, (l) => l.ended !== null);
      const kept = log.total - log.first;
      expect(kept).toBeLessThanOrEqual(maxBytes);
      expect(kept).toBeGreaterThan(maxBytes - entrySize);
      expect((await readAll(log, log.first)).length).toBe(kept);
      const usage = Number(await inspector.sendCommand(['MEMORY', 'USAGE', `rms:{${streamId}}:log`, 'SAMPLES', '0']));
      const meta = Number(await inspector.sendCommand(['MEMORY', 'USAGE', `rms:{${streamId}}:logmeta`, 'SAMPLES', '0']));
      figures.push(`${total} B written in ${entrySize} B entries, maxBytes ${maxBytes}: log key ${usage} B (${(usage / maxBytes).toFixed(2)} x maxBytes), meta ${meta} B`);
      expect(usage).toBeLessThan(maxBytes * 1.5 + 16 * 1024);
    }
    console.log(`[figures] Redis resume log memory:\n  ${figures.join('\n  ')}`);
  });

  describe('two server instances on one Redis: the stream on A, its resume and cancel through B', () => {
    const PROTOCOLS: Protocol[] = ['openai-chat', 'anthropic', 'ai-sdk', 'text', 'ndjson'];

    for (const protocol of PROTOCOLS) {
      it(`${protocol}: a client that drops on A resumes through B: the bytes join exactly`, async () => {
        const model = createFakeModel({ protocol, intervalMs: 3 });
        const a = await resumeInstance({ url: redis.url }, model, protocol);
        const b = await resumeInstance({ url: redis.url }, model, protocol);
        instances.push(a, b);
        const ids = newStream();
        const abort = new AbortController();
        const response = await fetch(`${a.server.url}/stream`, { method: 'POST', headers: streamHeaders(ids), body: '{}', signal: abort.signal });
        const reader = textReader(response.body!);
        await reader.until((text) => text.length > (protocol === 'text' ? 100 : 300));
        abort.abort();
        const { kept, cursor } = cursorOf(reader.text, protocol);
        const rest = await resumeFrom(b.server.url, ids, cursor);
        expect(rest.status).toBe(200);
        expect(rest.headers.get('content-type')).toBe(response.headers.get('content-type'));
        const joined = kept + (await rest.text());
        const full = await resumeFrom(b.server.url, ids);
        expect(full.headers.get('x-stream-log-ended')).toBe('complete');
        expect(joined).toBe(await full.text());
        expect(model.runs[0]!.finished).toBe(true);
      });
    }

    it('a cancel through B stops the model on A, and the resume reader on B gets the cancel terminal', async () => {
      const model = createFakeModel({ protocol: 'anthropic', intervalMs: 10 });
      const a = await resumeInstance({ url: redis.url }, model, 'anthropic');
      const b = await resumeInstance({ url: redis.url }, model, 'anthropic');
      instances.push(a, b);
      const ids = newStream();
      const original = textReader((await fetch(`${a.server.url}/stream`, { method: 'POST', headers: streamHeaders(ids), body: '{}' })).body!);
      await original.until((text) => text.includes('content_block_delta'));
      const follower = await resumeFrom(b.server.url, ids);
      expect(follower.status).toBe(200);
      const following = textReader(follower.body!);
      await following.until((text) => text.split('content_block_delta').length > 4);
      const cancel = await postCancel(`${b.server.url}/cancel`, ids);
      expect(cancel.body.status).toBe('cancelled');
      const [originalText, followedText] = await Promise.all([original.rest(), following.rest()]);
      expect(followedText).toBe(originalText);
      expect(followedText).toMatch(/event: stream-cancelled\ndata: .*\nid: \d+\.\w+\n\n$/);
      expect(model.runs[0]!.tokensAfterAbort).toBeLessThanOrEqual(1);
      const ended = await resumeFrom(b.server.url, ids);
      expect(ended.headers.get('x-stream-log-ended')).toBe('cancelled');
      expect(await ended.text()).toBe(originalText);
    });

    it('a stream whose client dropped on A keeps running while a resume on B reads it (the detached bound asks Redis)', async () => {
      const model = createFakeModel({ protocol: 'openai-chat', intervalMs: 10 });
      // The detached bound is short on A: only the reader on B keeps the model going.
      const a = await resumeInstance({ url: redis.url }, model, 'openai-chat', { detachedMs: 150 });
      const b = await resumeInstance({ url: redis.url }, model, 'openai-chat');
      instances.push(a, b);
      const ids = newStream();
      const abort = new AbortController();
      const reader = textReader((await fetch(`${a.server.url}/stream`, { method: 'POST', headers: streamHeaders(ids), body: '{}', signal: abort.signal })).body!);
      await reader.until((text) => text.includes('content'));
      abort.abort();
      await sleep(40);
      const resumed = await resumeFrom(b.server.url, ids);
      const text = await resumed.text();
      expect(text).toContain('[DONE]');
      expect(model.runs[0]!.finished).toBe(true);
      expect(model.runs[0]!.abortedAt).toBeNull();
    });
  });
});

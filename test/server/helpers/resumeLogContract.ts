import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { ResumeGapError } from '../../../src/server/ResumeGapError';
import type { ResumeLogEntry, ResumeLogLimits, ResumeLogMeta, ResumeLogReader, ResumeLogStore, ResumeLogWriter, StreamRegistry } from '../../../src/server/types';
import { sleep, waitFor } from './http';

export type ResumeLogContractSetup = {
  /** A new, ready registry whose `resumeLog` is under test. */
  create(): Promise<StreamRegistry>;
};

const HASH = 'c'.repeat(64);
const META: ResumeLogMeta = { contentType: 'text/plain; charset=utf-8', aiSdk: null, framing: 'text' };
const LIMITS: ResumeLogLimits = { maxBytes: 1 << 20, ttlMs: 60_000 };

/** Appends `chunks` as consecutive entries from `offset`; returns the offset past them. */
export function appendAll(writer: ResumeLogWriter, chunks: Uint8Array[], offset = 0): number {
  for (const data of chunks) {
    writer.append({ start: offset, end: offset + data.length, data });
    offset += data.length;
  }
  return offset;
}

export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** Every byte a reader from `after` gets, the first entry cut at `after` as handleResume does. */
export async function readAll(log: ResumeLogReader, after: number, signal = new AbortController().signal): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const entry of log.entries(after, signal)) parts.push(parts.length === 0 ? entry.data.subarray(after - entry.start) : entry.data);
  return concat(parts);
}

/** The log once the store shows `total` written (a Redis writer writes in the background). */
export async function openWhen(store: ResumeLogStore, streamId: string, done: (log: ResumeLogReader) => boolean): Promise<ResumeLogReader> {
  let log: ResumeLogReader | null = null;
  await waitFor(async () => {
    log = await store.open(streamId);
    return log !== null && done(log);
  }, `the log of ${streamId}`, 5000);
  return log!;
}

/** `bytes` cut into consecutive pieces of random sizes (1..max). */
export function pieces(bytes: Uint8Array, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(Math.random() * max);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/**
 * The `ResumeLogStore` contract (src/server/types.ts), declared as tests inside the caller's
 * `describe`: every store (in memory, Redis, Redis Cluster) passes it unchanged. What only one does
 * (a crashed writer's expiry, Redis going away) is tested in its own file.
 */
export function resumeLogContract(setup: ResumeLogContractSetup | (() => ResumeLogContractSetup)): void {
  const open: StreamRegistry[] = [];
  const store = async () => {
    const registry = await (typeof setup === 'function' ? setup() : setup).create();
    open.push(registry);
    return registry.resumeLog!;
  };
  const id = (name: string) => `${name}-${randomUUID()}`;

  afterEach(async () => {
    for (const registry of open.splice(0)) await registry.close();
  });

  it('an unknown stream has no log', async () => {
    expect(await (await store()).open(id('unknown'))).toBeNull();
  });

  it('keeps the meta, and replays from every offset exactly', async () => {
    const logs = await store();
    const streamId = id('replay');
    const text = new TextEncoder().encode('héllo wörld, ünïcode 🎉 and more '.repeat(6));
    const writer = logs.create(streamId, HASH, META, LIMITS);
    const total = appendAll(writer, pieces(text, 9));
    writer.end('complete');
    const log = await openWhen(logs, streamId, (l) => l.ended !== null);
    expect(log).toMatchObject({ meta: META, secretHash: HASH, total, first: 0, ended: 'complete' });
    for (let offset = 0; offset <= total; offset++) expect(await readAll(log, offset)).toEqual(text.subarray(offset));
  });

  it('several readers follow a live log to its end, each with every byte', async () => {
    const logs = await store();
    const streamId = id('live');
    const bytes = new Uint8Array(randomBytes(3000));
    const writer = logs.create(streamId, HASH, { ...META, framing: 'ndjson' }, LIMITS);
    const log = await openWhen(logs, streamId, () => true);
    const reads = [0, 0, 0].map(() => readAll(log, 0));
    let offset = 0;
    for (const chunk of pieces(bytes, 200)) {
      offset = appendAll(writer, [chunk], offset);
      await sleep(3);
    }
    writer.end('complete');
    for (const read of await Promise.all(reads)) expect(read).toEqual(bytes);
  });

  it('keeps at most maxBytes: a reader from before `first` gets a ResumeGapError, one from `first` the rest', async () => {
    const logs = await store();
    const streamId = id('trim');
    const chunks = Array.from({ length: 40 }, (_, i) => new TextEncoder().encode(`chunk ${String(i).padStart(3, '0')} ${'x'.repeat(20)}\n`));
    const writer = logs.create(streamId, HASH, META, { maxBytes: 200, ttlMs: 60_000 });
    const total = appendAll(writer, chunks);
    writer.end('complete');
    const log = await openWhen(logs, streamId, (l) => l.ended !== null);
    expect(log.total).toBe(total);
    expect(log.first).toBeGreaterThan(0);
    expect(total - log.first).toBeLessThanOrEqual(200);
    await expect(readAll(log, 0)).rejects.toBeInstanceOf(ResumeGapError);
    await expect(readAll(log, log.first - 1)).rejects.toMatchObject({ position: log.first - 1, first: log.first });
    expect(await readAll(log, log.first)).toEqual(concat(chunks).subarray(log.first));
  });

  it('an ended log expires ttlMs after its end: open() answers null', async () => {
    const logs = await store();
    const streamId = id('ttl');
    const writer = logs.create(streamId, HASH, META, { maxBytes: 1000, ttlMs: 150 });
    appendAll(writer, [new TextEncoder().encode('short-lived')]);
    writer.end('cancelled');
    expect((await openWhen(logs, streamId, (l) => l.ended !== null)).ended).toBe('cancelled');
    await waitFor(async () => (await logs.open(streamId)) === null, 'the log expired', 3000);
  });

  it('the end ends every reader, also one waiting for a write; nothing is appended after it', async () => {
    const logs = await store();
    const streamId = id('end');
    const writer = logs.create(streamId, HASH, META, LIMITS);
    appendAll(writer, [new TextEncoder().encode('abc')]);
    const log = await openWhen(logs, streamId, (l) => l.total === 3);
    const read = readAll(log, 0);
    await sleep(30);
    writer.end('disconnected');
    writer.append({ start: 3, end: 6, data: new TextEncoder().encode('def') });
    expect(new TextDecoder().decode(await read)).toBe('abc');
    const after = await openWhen(logs, streamId, (l) => l.ended !== null);
    expect(after).toMatchObject({ total: 3, ended: 'disconnected' });
  });

  it('a reader that aborts stops at once', async () => {
    const logs = await store();
    const streamId = id('abort');
    const writer = logs.create(streamId, HASH, META, LIMITS);
    appendAll(writer, [new TextEncoder().encode('abc')]);
    const log = await openWhen(logs, streamId, (l) => l.total === 3);
    const stop = new AbortController();
    const read = readAll(log, 0, stop.signal);
    await sleep(30);
    const started = Date.now();
    stop.abort();
    expect(new TextDecoder().decode(await read)).toBe('abc');
    expect(Date.now() - started).toBeLessThan(500);
    writer.end('complete');
  });

  it('readSince: false with no reader, true while one reads and for `ms` after it stopped', async () => {
    const logs = await store();
    const streamId = id('since');
    const writer = logs.create(streamId, HASH, META, LIMITS);
    appendAll(writer, [new TextEncoder().encode('abc')]);
    const log = await openWhen(logs, streamId, (l) => l.total === 3);
    expect(await writer.readSince(60_000)).toBe(false);
    const stop = new AbortController();
    const iterator = log.entries(0, stop.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.end).toBe(3);
    const waiting = iterator.next(); // caught up: waits for the next write
    await sleep(50);
    expect(await writer.readSince(1)).toBe(true);
    stop.abort();
    expect((await waiting).done).toBe(true);
    await waitFor(() => writer.readSince(60_000), 'read recently', 2000);
    await sleep(150);
    await waitFor(async () => !(await writer.readSince(100)), 'not read within 100 ms', 2000);
    expect(await writer.readSince(60_000)).toBe(true);
    writer.end('complete');
  });

  it('binary data comes back exactly: random bytes, UTF-8 split inside characters', async () => {
    const logs = await store();
    const streamId = id('binary');
    const random = new Uint8Array(randomBytes(64 * 1024));
    const utf8 = new TextEncoder().encode('日本語のテキスト, emoji 👩‍👩‍👧 and \u0000 nul '.repeat(50));
    const bytes = concat([random, utf8]);
    // Entries of 1 to 5 bytes through the UTF-8 part: many characters are split between two.
    const chunks = [...pieces(random, 4096), ...pieces(utf8, 5)];
    const writer = logs.create(streamId, HASH, META, { maxBytes: 1 << 20, ttlMs: 60_000 });
    const total = appendAll(writer, chunks);
    writer.end('complete');
    const log = await openWhen(logs, streamId, (l) => l.ended !== null);
    expect(log.total).toBe(total);
    expect(await readAll(log, 0)).toEqual(bytes);
    expect(await readAll(log, random.length + 1)).toEqual(bytes.subarray(random.length + 1));
    const entries: ResumeLogEntry[] = [];
    for await (const entry of log.entries(0, new AbortController().signal)) entries.push(entry);
    expect(entries.map((e) => [e.start, e.end])).toEqual(chunks.map((c, i) => [chunks.slice(0, i).reduce((s, x) => s + x.length, 0), chunks.slice(0, i + 1).reduce((s, x) => s + x.length, 0)]));
  });
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Protocol, StreamSnapshot } from '../../src/core/types';

export const FIXTURES_DIR = join(import.meta.dirname, '..', 'fixtures');

const PROTOCOL_OF_DIR: Record<string, Protocol> = {
  'a-openai-chat': 'openai-chat',
  'b-openai-responses': 'openai-responses',
  'c-anthropic-messages': 'anthropic',
  'd-ai-sdk-ui-stream': 'ai-sdk',
};

const CONTENT_TYPES: Record<string, string> = {
  sse: 'text/event-stream',
  txt: 'text/plain; charset=utf-8',
  ndjson: 'application/x-ndjson',
};

export type Fixture = {
  name: string;
  protocol: Protocol;
  contentType: string;
  bytes: Uint8Array;
  expected: StreamSnapshot;
};

/** Every transcript in test/fixtures with its expected snapshot. */
export function loadFixtures(): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const dir of readdirSync(FIXTURES_DIR, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(FIXTURES_DIR, dir.name)).sort()) {
      const match = /^(.*)\.(sse|txt|ndjson)$/.exec(file);
      if (!match) continue;
      const ext = match[2]!;
      const protocol: Protocol = ext === 'txt' ? 'text' : ext === 'ndjson' ? 'ndjson' : PROTOCOL_OF_DIR[dir.name]!;
      fixtures.push({
        name: `${dir.name}/${match[1]}`,
        protocol,
        contentType: CONTENT_TYPES[ext]!,
        bytes: new Uint8Array(readFileSync(join(FIXTURES_DIR, dir.name, file))),
        expected: JSON.parse(readFileSync(join(FIXTURES_DIR, dir.name, `${match[1]}.expected.json`), 'utf8')),
      });
    }
  }
  return fixtures;
}

/** A ReadableStream that delivers exactly these chunks. */
export function streamOf(chunks: readonly (Uint8Array | string)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) {
        const chunk = chunks[i++]!;
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      } else {
        controller.close();
      }
    },
  });
}

/** A seeded PRNG (mulberry32), so random splits are the same on every run and failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts bytes into 2–40 chunks at random positions. */
export function randomSplit(bytes: Uint8Array, random: () => number): Uint8Array[] {
  const count = 1 + Math.floor(random() * 40);
  const cuts = new Set<number>();
  for (let i = 0; i < count; i++) cuts.add(1 + Math.floor(random() * (bytes.length - 1)));
  const sorted = [...cuts].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of sorted) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

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

/** How the lines of a transcript end. */
export type LineEnding = 'lf' | 'crlf' | 'cr';

const LF = 10;
const CR = 13;

/**
 * The same bytes with every LF replaced by `ending`. Only the framing's line ends change: the
 * fixtures hold no CR, and a newline inside a JSON string is the escape `\n`, never a raw byte.
 */
export function withLineEnding(bytes: Uint8Array, ending: LineEnding): Uint8Array {
  if (bytes.includes(CR)) throw new Error('withLineEnding: the input already holds a CR');
  if (ending === 'lf') return bytes;
  if (ending === 'cr') return bytes.map((byte) => (byte === LF ? CR : byte));
  let lines = 0;
  for (const byte of bytes) if (byte === LF) lines++;
  const out = new Uint8Array(bytes.length + lines);
  let at = 0;
  for (const byte of bytes) {
    if (byte === LF) out[at++] = CR;
    out[at++] = byte;
  }
  return out;
}

/**
 * An OpenAI Chat SSE transcript as openai-node's `toReadableStream()` writes it (LF line ends): one
 * chunk's JSON per line, no `[DONE]`. An event the SSE transcript cut off stays cut off: its JSON
 * is the last line, without a newline.
 */
export function ndjsonOfChatSse(bytes: Uint8Array): Uint8Array {
  const events = new TextDecoder().decode(bytes).split('\n\n');
  const cutOff = events.pop()!; // '' when the transcript ends with a blank line
  const lines = events.map((event) => event.replace(/^data: /, '')).filter((line) => line !== '[DONE]');
  return new TextEncoder().encode(lines.map((line) => `${line}\n`).join('') + cutOff.replace(/^data: /, ''));
}

/** A fixture as one test input: a line ending applied, and, for Chat, also re-framed as NDJSON. */
export type FixtureVariant = Fixture & {
  framing: 'sse' | 'ndjson' | 'text';
  /** `null` for plain text, which has no framing. */
  ending: LineEnding | null;
};

/**
 * Every fixture with every line ending its framing allows: SSE with LF, CRLF and CR; NDJSON (the
 * Chat transcripts re-framed) with LF and CRLF only, since NDJSON lines end at an LF (a CR alone
 * ends nothing: docs/decoding.md); plain text as it is. The expected snapshot never changes.
 */
export function fixtureVariants(fixtures: Fixture[] = loadFixtures()): FixtureVariant[] {
  const variants: FixtureVariant[] = [];
  for (const fixture of fixtures) {
    if (fixture.protocol === 'text') {
      variants.push({ ...fixture, framing: 'text', ending: null });
      continue;
    }
    for (const ending of ['lf', 'crlf', 'cr'] as const) {
      variants.push({ ...fixture, name: `${fixture.name} (${ending})`, bytes: withLineEnding(fixture.bytes, ending), framing: 'sse', ending });
    }
    if (fixture.protocol === 'openai-chat') {
      const ndjson = ndjsonOfChatSse(fixture.bytes);
      for (const ending of ['lf', 'crlf'] as const) {
        variants.push({
          ...fixture,
          name: `${fixture.name} as NDJSON (${ending})`,
          protocol: 'ndjson',
          contentType: CONTENT_TYPES.ndjson!,
          bytes: withLineEnding(ndjson, ending),
          framing: 'ndjson',
          ending,
        });
      }
    }
  }
  return variants;
}

/**
 * The byte ranges [start, end) of a variant's events (SSE: up to and including the blank line;
 * NDJSON: one line with its end; text: the whole body), covering it whole; a cut-off last event
 * is a range too.
 */
export function unitsOf(variant: FixtureVariant): [start: number, end: number][] {
  const { bytes } = variant;
  if (variant.framing === 'text') return [[0, bytes.length]];
  const lineEnd = variant.ending === 'crlf' ? [CR, LF] : variant.ending === 'cr' ? [CR] : [LF];
  const terminator = variant.framing === 'sse' ? [...lineEnd, ...lineEnd] : lineEnd;
  const units: [number, number][] = [];
  let start = 0;
  for (let i = 0; i + terminator.length <= bytes.length; i++) {
    if (terminator.every((byte, j) => bytes[i + j] === byte)) {
      units.push([start, i + terminator.length]);
      start = i + terminator.length;
      i = start - 1;
    }
  }
  if (start < bytes.length) units.push([start, bytes.length]);
  return units;
}

/** Cuts `bytes` at the given ascending positions (0 < cut < length). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

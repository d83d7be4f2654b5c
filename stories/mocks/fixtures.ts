import type { Protocol, StreamSnapshot } from '../../src/core/index';

/**
 * The recorded transcripts of `test/fixtures/`, imported as raw text through Vite (`?raw`), so the
 * stories replay exactly the bytes the decoder tests use, and nothing reads the file system at
 * run time. Each transcript is cut into the events a server would flush one at a time.
 */

/** What kind of answer a transcript holds (the part of its file name after the number). */
export type Transcript = 'text-usage' | 'parallel-tool-calls' | 'cutoff-mid-tool-call' | 'error-midstream' | 'abort';

export type Fixture = {
  /** `<protocol>/<transcript>`, e.g. `anthropic/parallel-tool-calls`. */
  id: string;
  protocol: Protocol;
  transcript: Transcript;
  /** Where the bytes come from, for display (`test/fixtures/…`). */
  source: string;
  contentType: string;
  /** The transcript cut at event boundaries: one SSE event, one NDJSON line or a few words of text each. */
  events: readonly string[];
  /** The normalized snapshot the decoder must produce (`*.expected.json`). */
  expected: StreamSnapshot;
};

const transcripts = import.meta.glob<string>('../../test/fixtures/*/*.{sse,txt}', { query: '?raw', import: 'default', eager: true });
const expectations = import.meta.glob<StreamSnapshot>('../../test/fixtures/*/*.expected.json', { import: 'default', eager: true });

const PROTOCOL_OF_DIR: Record<string, Protocol> = {
  'a-openai-chat': 'openai-chat',
  'b-openai-responses': 'openai-responses',
  'c-anthropic-messages': 'anthropic',
  'd-ai-sdk-ui-stream': 'ai-sdk',
  'e-plain-ndjson': 'text',
};

const CONTENT_TYPES: Record<Protocol, string> = {
  'openai-chat': 'text/event-stream',
  'openai-responses': 'text/event-stream',
  anthropic: 'text/event-stream',
  'ai-sdk': 'text/event-stream',
  text: 'text/plain; charset=utf-8',
  ndjson: 'application/x-ndjson',
};

/** SSE: one event per chunk, each with its blank line; a truncated last event stays as it is. */
function splitSse(raw: string): string[] {
  return raw.split(/(?<=\n\n)/).filter((event) => event !== '');
}

/** Plain text: two words per chunk, the way a text stream arrives token by token. */
function splitText(raw: string): string[] {
  const words = raw.split(/(?<= )/);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += 2) chunks.push(words.slice(i, i + 2).join(''));
  return chunks;
}

/**
 * NDJSON has no transcript in `test/fixtures/`. docs/FORMATS.md (E) defines it as openai-node's
 * `toReadableStream()`: one Chat Completions chunk per line, no `[DONE]`. So it is derived from the
 * Chat Completions transcript, and its expected snapshot is that transcript's.
 */
function chatToNdjson(raw: string): string[] {
  return splitSse(raw)
    .map((event) => event.replace(/^data: /, '').trim())
    .filter((data) => data !== '[DONE]')
    .map((data) => `${JSON.stringify(JSON.parse(data))}\n`);
}

function buildFixtures(): Map<string, Fixture> {
  const fixtures = new Map<string, Fixture>();
  for (const [path, raw] of Object.entries(transcripts)) {
    const match = /fixtures\/([^/]+)\/\d+-([^/]+)\.(sse|txt)$/.exec(path);
    if (!match) continue;
    const [, dir, name, ext] = match as unknown as [string, string, string, string];
    const protocol = PROTOCOL_OF_DIR[dir];
    const expected = expectations[path.replace(/\.(sse|txt)$/, '.expected.json')];
    if (!protocol || !expected) throw new Error(`No protocol or expected snapshot for ${path}`);
    // The plain-text transcript is the same answer as the others' text-usage ones.
    const transcript = (name === 'text-plain' ? 'text-usage' : name) as Transcript;
    const source = path.replace(/^(\.\.\/)+/, '');
    const events = ext === 'txt' ? splitText(raw) : splitSse(raw);
    fixtures.set(`${protocol}/${transcript}`, { id: `${protocol}/${transcript}`, protocol, transcript, source, contentType: CONTENT_TYPES[protocol], events, expected });
    if (protocol === 'openai-chat' && transcript === 'text-usage') {
      fixtures.set('ndjson/text-usage', {
        id: 'ndjson/text-usage',
        protocol: 'ndjson',
        transcript,
        source: `${source} (as NDJSON)`,
        contentType: CONTENT_TYPES.ndjson,
        events: chatToNdjson(raw),
        expected,
      });
    }
  }
  return fixtures;
}

const FIXTURES = buildFixtures();

/** Every fixture id, sorted (`openai-chat/text-usage`, …). */
export const FIXTURE_IDS: readonly string[] = [...FIXTURES.keys()].sort();

/** The transcripts that exist for a wire format. */
export function transcriptsOf(protocol: Protocol): Transcript[] {
  return [...FIXTURES.values()].filter((f) => f.protocol === protocol).map((f) => f.transcript);
}

/** The fixture with this id; throws with the list of ids when there is none. */
export function getFixture(id: string): Fixture {
  const fixture = FIXTURES.get(id);
  if (!fixture) throw new Error(`No fixture "${id}". Known: ${FIXTURE_IDS.join(', ')}`);
  return fixture;
}

/** The fixture of a wire format and transcript, or `null` when that format has no such transcript. */
export function findFixture(protocol: Protocol, transcript: Transcript): Fixture | null {
  return FIXTURES.get(`${protocol}/${transcript}`) ?? null;
}

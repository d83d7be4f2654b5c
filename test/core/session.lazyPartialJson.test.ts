import { afterEach, expect, test, vi } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import type { StreamSession } from '../../src/core/createStreamSession';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { part, SSE_HEADERS as SSE } from '../helpers/sse';

// On the session's path the partial JSON parser is a chunk of its own, requested at the first tool
// call of a page (docs/size.md, "The partial JSON parser, loaded lazily"). Its `import()` target is
// mocked here only to hold its load open (or fail it, as a chunk that cannot be fetched); its code
// is the real one. Fresh modules per test: the module-level cache starts empty, as on a page's
// first stream. Real HTTP on 127.0.0.1.

const SESSION = '../../src/core/createStreamSession';
const PARSER = '../../src/core/lazy/partialJson';
const WAIT = { timeout: 5_000, interval: 5 };

let server: TestServer | null = null;
afterEach(async () => {
  vi.doUnmock(PARSER);
  vi.resetModules();
  await server?.close();
  server = null;
});

/** The parser's chunk held until `release()` (or failing, `fail`); `loads` counts its requests. */
function holdParser(fail = false) {
  vi.resetModules();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const loads = { count: 0 };
  vi.doMock(PARSER, async () => {
    loads.count++;
    if (fail) throw new Error('Failed to fetch dynamically imported module');
    await gate;
    return vi.importActual(PARSER);
  });
  return { release, loads };
}

/** An AI SDK stream: two tool calls, each in two deltas; the second half of each call waits for `more()`. */
function startToolServer() {
  let more!: () => void;
  const waiting = new Promise<void>((resolve) => (more = resolve));
  const first = [
    part({ type: 'start', messageId: 'msg-tools' }),
    part({ type: 'tool-input-start', toolCallId: 'call-1', toolName: 'search' }),
    part({ type: 'tool-input-delta', toolCallId: 'call-1', inputTextDelta: '{"q":"caf' }),
    part({ type: 'tool-input-start', toolCallId: 'call-2', toolName: 'weather' }),
    part({ type: 'tool-input-delta', toolCallId: 'call-2', inputTextDelta: '{"city":"Par' }),
  ];
  const rest = [
    part({ type: 'tool-input-delta', toolCallId: 'call-1', inputTextDelta: 'é","n":3}' }),
    part({ type: 'tool-input-delta', toolCallId: 'call-2', inputTextDelta: 'is","days":[1,2]}' }),
    part({ type: 'finish', finishReason: 'tool-calls' }),
    'data: [DONE]\n\n',
  ];
  const started = startHttpServer(async ({ res }) => {
    res.writeHead(200, SSE);
    res.write(first.join(''));
    await waiting;
    if (!res.writableEnded && !res.destroyed) res.end(rest.join(''));
  });
  return { started, more, units: [...first, ...rest] };
}

async function open(url: string): Promise<StreamSession> {
  const { createStreamSession } = (await import(SESSION)) as typeof import('../../src/core/createStreamSession');
  return createStreamSession({ api: `${url}/chat`, throttle: false });
}

/** The tool-call server started and a session on it started: its first two calls stream, the rest waits for `tools.more()`. */
async function startStream() {
  const tools = startToolServer();
  server = await tools.started;
  const session = await open(server.url);
  return { tools, session, done: session.start() };
}

const argsOf = (session: StreamSession) => session.getSnapshot().message.toolCalls.map((call) => call.args);

test('while the parser loads the argument text streams with `args: null`; once it arrives each open call shows its partial value; the end is as collectStream has it', async () => {
  const { release, loads } = holdParser();
  const { tools, session, done } = await startStream();
  await vi.waitFor(() => expect(session.getSnapshot().message.toolCalls.map((call) => call.argsText)).toEqual(['{"q":"caf', '{"city":"Par']), WAIT);
  expect(loads.count).toBe(1); // one request for the page, not one per call
  expect(argsOf(session)).toEqual([null, null]);
  release();
  // Each call's parser is fed the text so far: no delta arrived since.
  await vi.waitFor(() => expect(argsOf(session)).toEqual([{ q: 'caf' }, { city: 'Par' }]), WAIT);
  expect(session.getSnapshot().message.toolCalls.map((call) => call.state)).toEqual(['streaming', 'streaming']);
  tools.more();
  const final = await done;
  expect(final.status).toBe('complete');
  const reference = await collectStream(new Response(tools.units.join('')).body!);
  expect(final.message.toolCalls.map(({ id, name, argsText, args, state }) => ({ id, name, argsText, args, state }))).toEqual(
    reference.toolCalls.map(({ id, name, argsText, args }) => ({ id, name, argsText, args, state: 'complete' })),
  );
  expect(argsOf(session)).toEqual([{ q: 'café', n: 3 }, { city: 'Paris', days: [1, 2] }]);
});

test('the stream never waits for the parser: calls that complete before it arrives get their arguments from their whole text', async () => {
  const { release } = holdParser();
  const { tools, session, done } = await startStream();
  await vi.waitFor(() => expect(session.getSnapshot().message.toolCalls).toHaveLength(2), WAIT);
  tools.more();
  const final = await done; // the parser still held
  expect(final.status).toBe('complete');
  expect(final.message.toolCalls.map((call) => call.args)).toEqual([{ q: 'café', n: 3 }, { city: 'Paris', days: [1, 2] }]);
  const painted = session.getSnapshot();
  release();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(session.getSnapshot()).toBe(painted); // nothing left to change
});

test('a Stop before the parser arrives keeps what was painted: the cut calls with `args: null`, also after it arrives', async () => {
  const { release } = holdParser();
  const { tools, session, done } = await startStream();
  await vi.waitFor(() => expect(session.getSnapshot().message.toolCalls).toHaveLength(2), WAIT);
  const shown = session.getSnapshot().message;
  void session.stop();
  release();
  const final = await done;
  expect(final.status).toBe('incomplete');
  expect(final.message.toolCalls.map(({ argsText, args, state }) => ({ argsText, args, state }))).toEqual([
    { argsText: '{"q":"caf', args: null, state: 'incomplete' },
    { argsText: '{"city":"Par', args: null, state: 'incomplete' },
  ]);
  expect(final.message.toolCalls.map((call) => call.argsText)).toEqual(shown.toolCalls.map((call) => call.argsText));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(session.getSnapshot()).toBe(final);
});

test('a parser that cannot be loaded: no error, `args: null` while streaming, the final arguments from the text; the next session tries again', async () => {
  const { loads } = holdParser(true);
  const { tools, session, done } = await startStream();
  await vi.waitFor(() => expect(session.getSnapshot().message.toolCalls).toHaveLength(2), WAIT);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the failed load settles
  expect(argsOf(session)).toEqual([null, null]);
  tools.more();
  const final = await done;
  expect(final.status).toBe('complete');
  expect(final.error).toBeNull();
  expect(final.message.error).toBeNull();
  expect(argsOf(session)).toEqual([{ q: 'café', n: 3 }, { city: 'Paris', days: [1, 2] }]);
  const before = loads.count;
  expect(before).toBeGreaterThanOrEqual(1);

  // The next session, the failure forgotten: it requests the chunk again.
  const again = startToolServer();
  const second = await again.started;
  try {
    const next = await open(second.url);
    const ended = next.start();
    await vi.waitFor(() => expect(next.getSnapshot().message.toolCalls).toHaveLength(2), WAIT);
    expect(loads.count).toBeGreaterThan(before);
    again.more();
    expect((await ended).status).toBe('complete');
  } finally {
    await second.close();
  }
});

test('once loaded, a later session parses synchronously: partial arguments with the first delta', async () => {
  const { release, loads } = holdParser();
  release();
  const tools = startToolServer();
  server = await tools.started;
  const first = await open(server.url);
  const firstDone = first.start();
  await vi.waitFor(() => expect(argsOf(first)).toEqual([{ q: 'caf' }, { city: 'Par' }]), WAIT);
  tools.more();
  await firstDone;

  const again = startToolServer();
  const second = await again.started;
  try {
    const next = await open(second.url);
    const seen: { argsText: string; args: unknown }[] = [];
    next.subscribe(() => seen.push(...next.getSnapshot().message.toolCalls));
    const ended = next.start();
    await vi.waitFor(() => expect(next.getSnapshot().message.toolCalls).toHaveLength(2), WAIT);
    // Never a painted `null` for a call with argument text: the parser was there for every delta.
    expect(seen.filter((call) => call.argsText !== '' && call.args === null)).toEqual([]);
    expect(argsOf(next)).toEqual([{ q: 'caf' }, { city: 'Par' }]);
    expect(loads.count).toBe(1);
    again.more();
    await ended;
  } finally {
    await second.close();
  }
});

test('a controller with tools requests the parser when it is made, before any stream; one without does not', async () => {
  const { loads } = holdParser();
  const { createTurnController } = (await import('../../src/turns/createTurnController')) as typeof import('../../src/turns/createTurnController');
  const { createMessageStore } = (await import('../../src/store/createMessageStore')) as typeof import('../../src/store/createMessageStore');
  const noop = (_: unknown, cancel: unknown) => cancel;
  createTurnController({ api: '/chat' }, noop as never);
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(loads.count).toBe(0);
  createTurnController({ api: '/chat', store: createMessageStore(), tools: { search: () => 'ok' } }, noop as never);
  await vi.waitFor(() => expect(loads.count).toBe(1), WAIT);
});

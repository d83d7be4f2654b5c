import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { createCancelRequest } from '../../src/core/createCancelRequest';
import { createStreamSession, type CancelOutcome, type StreamSessionSnapshot } from '../../src/core/createStreamSession';
import type { Protocol } from '../../src/core/types';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { createRedisStreamRegistry } from '../../src/server/redis';
import type { StreamRegistry } from '../../src/server/types';
import { hasRedisServer, startRedisServer, warnIfRedisMissing, type RedisServer } from '../helpers/redisServer';
import { closingOf, createManualUpstream, deltaOf, openingOf } from './helpers/fakeUpstream';
import { newStream, postCancel, startServer, streamHeaders, textReader, type TestServer } from './helpers/http';
import { seededRandom } from '../helpers/fixtures';
import { createRaceUpstream, RACE_INPUT_TOKENS } from './helpers/raceUpstream';
import { routes, setup, type Setup } from './helpers/setup';

// A cancel and the model's natural end racing have one answer, and the client
// agrees with it. Once the finish has gone to the client the cancel answers `already-finished`
// and the rest (the provider's usage, `[DONE]`) still passes; before it, `cancelled` with the
// cancel terminal. The provider's own usage is never replaced by an estimate.

warnIfRedisMissing();

const streamOf = (text: string) => new Blob([new TextEncoder().encode(text)]).stream();

let current: Setup | null = null;
afterEach(async () => {
  await current?.teardown();
  current = null;
});

/** What the client decoded agrees with the cancel answer. */
async function expectAgreement(answer: { status: number; body: any }, clientBytes: string, providerUsage: { inputTokens: number | null; outputTokens: number }, protocol: Protocol) {
  const decoded = await collectStream(streamOf(clientBytes), { contentType: 'text/event-stream' });
  if (answer.body.status === 'cancelled') {
    expect(decoded.finishReason).toBe('cancelled');
    expect(clientBytes.match(/stream-cancelled|"type":"abort"/g)).toHaveLength(1);
    // The AI SDK's own cancel shape (an `abort` part) carries no usage: the cancel answer does.
    if (protocol !== 'ai-sdk') expect(decoded.usage).toEqual({ ...answer.body.usage, ...(answer.body.usageEstimated ? { estimated: true } : {}) });
  } else {
    expect(answer.body).toEqual({ status: 'already-finished' });
    expect(decoded.finishReason).toBe('stop');
    expect(clientBytes).not.toMatch(/stream-cancelled|"type":"abort"/);
    expect(decoded.usage).toEqual(providerUsage);
  }
  return decoded;
}

describe('every interleaving of a cancel with the end: one answer, and the stream says the same', () => {
  // The closing events of each SSE protocol, cut where a cancel can land between them.
  const closings: Record<'openai-chat' | 'anthropic' | 'ai-sdk' | 'openai-responses', { parts: string[]; usage: { inputTokens: number | null; outputTokens: number } }> = {
    'openai-chat': { parts: closingOf('openai-chat', 2).split(/(?<=\n\n)/), usage: { inputTokens: 12, outputTokens: 2 } },
    anthropic: { parts: closingOf('anthropic', 2).split(/(?<=\n\n)/), usage: { inputTokens: 12, outputTokens: 2 } },
    'ai-sdk': { parts: closingOf('ai-sdk', 2).split(/(?<=\n\n)/), usage: { inputTokens: 12, outputTokens: 2 } },
    'openai-responses': { parts: [closingOf('openai-responses', 2)], usage: { inputTokens: 12, outputTokens: 2 } },
  };

  for (const [protocol, { parts, usage }] of Object.entries(closings) as [Protocol, (typeof closings)['openai-chat']][]) {
    // Cancel after 0, 1, …, all closing events were forwarded, and once more after the close.
    for (let sent = 0; sent <= parts.length + 1; sent++) {
      const where = sent === 0 ? 'before the closing events' : sent > parts.length ? 'after the close' : `after ${sent} of ${parts.length} closing events`;
      it(`${protocol}: cancel ${where}`, async () => {
        const fake = createManualUpstream();
        current = await setup({ upstream: fake.upstream, protocol });
        const ids = newStream();
        const res = await fetch(current.streamUrl, { method: 'POST', headers: streamHeaders(ids) });
        const reader = textReader(res.body!);
        fake.send(openingOf(protocol) + deltaOf(protocol, 0) + deltaOf(protocol, 1));
        await reader.until((text) => text.includes('w01'));
        for (const part of parts.slice(0, sent)) {
          fake.send(part);
          await reader.until((text) => text.endsWith(part));
        }
        if (sent > parts.length) {
          fake.end();
          await reader.rest();
        }
        const answer = await postCancel(current.cancelUrl, ids);
        // The finish is the first closing event of OpenAI's formats; the second of Anthropic's
        // (content_block_stop, then message_delta) and of the AI SDK's (text-end, then finish).
        const finishForwarded = sent > (protocol === 'ai-sdk' || protocol === 'anthropic' ? 1 : 0);
        expect(answer.body.status).toBe(finishForwarded ? 'already-finished' : 'cancelled');
        expect(fake.signal!.aborted).toBe(!finishForwarded);
        // The provider's remaining events still reach the client after an already-finished answer.
        if (finishForwarded && sent <= parts.length) {
          for (const part of parts.slice(sent)) fake.send(part);
          fake.end();
        }
        await expectAgreement(answer, await reader.rest(), usage, protocol);
      });
    }
  }
});

/**
 * A `fetch` whose response bodies pass through a gate the test opens and closes: a client behind a
 * slow network, so the server can have forwarded the finish before the client read it.
 */
function gatedFetch() {
  let open = true;
  let wake: (() => void) | null = null;
  const received: string[] = [];
  const gated: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body || !String(input).endsWith('/stream')) return response;
    const source = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await source.read();
        if (done) {
          controller.close();
          return;
        }
        received.push(new TextDecoder().decode(value));
        while (!open) await new Promise<void>((resolve) => (wake = resolve));
        controller.enqueue(value);
      },
      cancel: (reason) => source.cancel(reason),
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return {
    fetch: gated,
    received: () => received.join(''),
    close: () => {
      open = false;
    },
    open: () => {
      open = true;
      wake?.();
    },
  };
}

describe('the session agrees with the answer when the finish is on its way to it', () => {
  it('finish forwarded but not read yet: already-finished, and the message is the whole answer, complete, with the provider usage', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream, protocol: 'openai-chat' });
    const gate = gatedFetch();
    const session = createStreamSession({ api: current.streamUrl, cancelApi: current.cancelUrl, fetch: gate.fetch, throttle: false });
    const done = session.start();
    fake.send(deltaOf('openai-chat', 0));
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('w00 '), { timeout: 5000, interval: 5 });
    gate.close();
    const [finish, usage, last] = closingOf('openai-chat', 2).split(/(?<=\n\n)/);
    fake.send(deltaOf('openai-chat', 1) + finish!);
    await vi.waitFor(() => expect(gate.received()).toContain('"finish_reason":"stop"'), { timeout: 5000, interval: 5 });
    const stopping = session.stop();
    expect(session.getSnapshot().message.text).toBe('w00 '); // frozen meanwhile
    await vi.waitFor(() => expect(current!.registry.counts().streams).toBe(0), { timeout: 5000, interval: 5 });
    gate.open();
    fake.send(usage! + last!);
    fake.end();
    expect(await stopping).toEqual({ serverConfirmed: false });
    const final = await done;
    expect(final.status).toBe('complete');
    expect(final.message).toMatchObject({ text: 'w00 w01 ', finishReason: 'stop', usage: { inputTokens: 12, outputTokens: 2 } });
  });

  it('deltas in flight but no finish: cancelled, and the message is what was shown, with the usage of the answer', async () => {
    const fake = createManualUpstream();
    current = await setup({ upstream: fake.upstream, protocol: 'openai-chat' });
    const gate = gatedFetch();
    const session = createStreamSession({ api: current.streamUrl, cancelApi: current.cancelUrl, fetch: gate.fetch, throttle: false });
    const done = session.start();
    fake.send(deltaOf('openai-chat', 0));
    await vi.waitFor(() => expect(session.getSnapshot().message.text).toBe('w00 '), { timeout: 5000, interval: 5 });
    gate.close();
    fake.send(deltaOf('openai-chat', 1));
    await vi.waitFor(() => expect(gate.received()).toContain('w01'), { timeout: 5000, interval: 5 });
    const stopping = session.stop();
    await vi.waitFor(() => expect(current!.registry.counts().streams).toBe(0), { timeout: 5000, interval: 5 });
    gate.open();
    expect(await stopping).toEqual({ serverConfirmed: true });
    const final = await done;
    expect(final.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(final.message).toMatchObject({ text: 'w00 ', finishReason: 'cancelled', usage: { inputTokens: null, outputTokens: 2, estimated: true } });
  });
});

/** One race: a session on `streamUrl`, stopped at a random moment near the end, its cancel sent to `cancelUrl`. */
type RaceResult = { problem: string | null; kind: 'no-cancel' | 'cancelled' | 'already-finished' | 'other' };

async function race(streamUrl: string, cancelUrl: string, words: number, spread: number, random: () => number): Promise<RaceResult> {
  const answers: CancelOutcome[] = [];
  const cancelRequest = createCancelRequest(cancelUrl);
  const session = createStreamSession({
    api: streamUrl,
    throttle: false,
    cancel: async (request) => {
      const outcome = await cancelRequest(request);
      answers.push(outcome);
      return outcome;
    },
  });
  const stopAfterWords = words - Math.floor(random() * spread);
  const delayMs = Math.floor(random() * 4);
  const done = session.start();
  await new Promise<void>((resolve) => {
    const check = () => {
      const { status, message } = session.getSnapshot();
      if (status === 'complete' || status === 'incomplete' || message.text.split(' ').length - 1 >= stopAfterWords) {
        unsubscribe();
        resolve();
      }
    };
    const unsubscribe = session.subscribe(check);
    check();
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const stopped = await session.stop();
  const final = await done;
  const answer = answers[0] ?? null;
  const kind = answer === null ? 'no-cancel' : answer.alreadyFinished ? 'already-finished' : answer.confirmed && !answer.pending ? 'cancelled' : 'other';
  return { problem: disagreement(answer, stopped.serverConfirmed, final, words), kind };
}

/** `null` when the client's message and the cancel answer tell the same story, else what differs. */
function disagreement(answer: CancelOutcome | null, serverConfirmed: boolean, final: StreamSessionSnapshot, words: number): string | null {
  const providerUsage = { inputTokens: RACE_INPUT_TOKENS, outputTokens: words };
  const story = JSON.stringify({ answer, serverConfirmed, status: final.status, incomplete: final.incomplete, finishReason: final.message.finishReason, usage: final.message.usage });
  if (answer === null || answer.alreadyFinished) {
    // No cancel (the finish was read first) or a late one: the whole answer, with the provider's usage.
    const whole = final.status === 'complete' && final.message.finishReason === 'stop' && final.message.text.split(' ').length - 1 === words;
    return whole && JSON.stringify(final.message.usage) === JSON.stringify(providerUsage) && !serverConfirmed ? null : story;
  }
  if (answer.confirmed && !answer.pending) {
    const stopped =
      final.status === 'incomplete' &&
      final.incomplete?.reason === 'cancelled' &&
      final.incomplete.serverConfirmed === true &&
      serverConfirmed &&
      final.message.finishReason !== 'stop' &&
      JSON.stringify(final.message.usage) === JSON.stringify(answer.usage);
    return stopped ? null : story;
  }
  return story;
}

/** Runs `count` races, `parallel` at a time; returns the disagreements and how many races ended each way. */
async function races(count: number, parallel: number, seed: number, run: (random: () => number) => Promise<RaceResult>) {
  const random = seededRandom(seed);
  const problems: string[] = [];
  const kinds: Record<RaceResult['kind'], number> = { 'no-cancel': 0, cancelled: 0, 'already-finished': 0, other: 0 };
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, () => run(seededRandom(Math.floor(random() * 2 ** 32))));
    for (const { problem, kind } of await Promise.all(batch)) {
      kinds[kind]++;
      if (problem) problems.push(problem);
    }
  }
  return { problems, kinds };
}

describe('randomized races of a Stop with the natural end: 0 disagreements', () => {
  it('1,000 races in memory (one instance)', async () => {
    const upstream = createRaceUpstream({ words: 8, maxGapMs: 2, random: seededRandom(7) });
    const registry = createStreamRegistry();
    const server = await startServer(routes(registry, () => upstream.upstream));
    try {
      const { problems, kinds } = await races(1000, 10, 12, (random) => race(`${server.url}/stream`, `${server.url}/cancel`, 8, 4, random));
      expect(problems.slice(0, 5), `${problems.length} disagreements of 1000 (${JSON.stringify(kinds)})`).toEqual([]);
      // The races really landed on both sides of the finish.
      expect(kinds.cancelled, JSON.stringify(kinds)).toBeGreaterThan(50);
      expect(kinds['already-finished'] + kinds['no-cancel'], JSON.stringify(kinds)).toBeGreaterThan(50);
      expect(registry.size()).toBe(0);
    } finally {
      await server.close();
      await registry.close();
    }
  }, 120_000);

  describe.skipIf(!hasRedisServer)('over Redis', () => {
    let redis: RedisServer;
    const servers: TestServer[] = [];
    const registries: StreamRegistry[] = [];
    beforeAll(async () => {
      redis = await startRedisServer();
    }, 30_000);
    afterAll(async () => {
      for (const server of servers) await server.close();
      for (const registry of registries) await registry.close();
      await redis?.stop();
    });

    it('200 races, the stream on instance A and its cancel sent to instance B', async () => {
      const upstream = createRaceUpstream({ words: 10, maxGapMs: 3, random: seededRandom(8) });
      const a = createRedisStreamRegistry({ url: redis.url });
      const b = createRedisStreamRegistry({ url: redis.url });
      registries.push(a, b);
      await Promise.all([a.ready(), b.ready()]);
      const serverA = await startServer(routes(a, () => upstream.upstream));
      const serverB = await startServer(routes(b, () => () => new Response('unused', { status: 500 })));
      servers.push(serverA, serverB);
      const { problems, kinds } = await races(200, 10, 13, (random) => race(`${serverA.url}/stream`, `${serverB.url}/cancel`, 10, 8, random));
      expect(problems.slice(0, 5), `${problems.length} disagreements of 200 (${JSON.stringify(kinds)})`).toEqual([]);
      expect(kinds.cancelled, JSON.stringify(kinds)).toBeGreaterThan(10);
      expect(kinds['already-finished'] + kinds['no-cancel'], JSON.stringify(kinds)).toBeGreaterThan(10);
    }, 120_000);
  });
});

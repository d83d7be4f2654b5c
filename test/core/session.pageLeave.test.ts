import { afterEach, beforeAll, expect, test, vi } from 'vitest';
import { createStreamSession, type StreamSession } from '../../src/core/createStreamSession';
import { withBody } from '../../src/testing/withBody';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { manualScheduler } from '../helpers/manualScheduler';
import { part, SSE_HEADERS as SSE } from '../helpers/sse';
import { statusesOf } from '../helpers/statusesOf';

// A page that goes away (a reload, a closed tab, a navigation) stops painting first, then cuts its
// requests while it dispatches `pagehide`: their promises settle between that event's listeners,
// before the page's own `disconnect()` (useModelStream's listener) has run. Seen in Chromium (e2e
// "A stream past its log's lifetime", 9 runs in 38 under load): the drop made the session
// `reconnecting` at once, which published text received after the last frame, and the page kept
// a word it never showed. The page's leaving must end the message as shown.

const WAIT = { timeout: 10_000, interval: 5 };

// The reconnector's chunk loaded, as on a page whose session was created with `resumeApi`.
beforeAll(() => import('../../src/core/session/createReconnector'));

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** An SSE event with its `id:` (the resume log's cursor), as `handleModelStream` writes it with `resume`. */
let nextId = 0;
const event = (value: unknown) => `id: ${++nextId}\n${part(value)}`;

/** Every promise reaction queued so far, and those they queue: what runs between two listeners of one event. */
async function microtasks() {
  for (let i = 0; i < 200; i++) await Promise.resolve();
}

/**
 * A real stream server that writes `first` and holds the stream, and a `fetch` whose answer's
 * body the test can cut as a leaving page does (`cut`); `hold` keeps the request from being
 * answered, so that `cut` fails the request itself.
 */
async function leavingPage(first: string, { hold = false } = {}) {
  let stream: RecordedRequest | null = null;
  server = await startHttpServer((request) => {
    stream = request;
    if (hold) return;
    request.res.writeHead(200, SSE);
    request.res.write(first);
  });
  let cutNow: (failure: TypeError) => void = () => {};
  const leavingFetch: typeof fetch = (input, init) =>
    new Promise<Response>((resolve, reject) => {
      cutNow = reject;
      fetch(input, init).then((response) => {
        // The body as the page reads it, until the page cuts it.
        const cut = new TransformStream<Uint8Array, Uint8Array>({
          start(controller) {
            cutNow = (failure) => controller.error(failure);
          },
        });
        resolve(withBody(response, response.body!.pipeThrough(cut)));
      }, reject);
    });
  return {
    fetch: leavingFetch,
    write: (text: string) => stream!.res.write(text),
    requested: () => stream !== null,
    /** The page goes away: its request is cut, an earlier `pagehide` listener returns, then the page's own listener disconnects. */
    async leave(session: StreamSession) {
      cutNow(new TypeError('network error'));
      await microtasks();
      session.disconnect();
    },
  };
}

function startSession(page: Awaited<ReturnType<typeof leavingPage>>, resume: boolean) {
  const { scheduler, frame, pending } = manualScheduler();
  const session = createStreamSession({ api: `${server!.url}/chat`, fetch: page.fetch, scheduler, ...(resume ? { resumeApi: `${server!.url}/resume` } : {}) });
  const statuses = statusesOf(session);
  return { session, statuses, frame, pending, done: session.start() };
}

test.each([
  ['with resumeApi', true],
  ['without resumeApi', false],
])('%s: a page that leaves mid-answer ends its message as shown, `disconnected`, never `reconnecting` with text it did not paint', async (_, resume) => {
  const page = await leavingPage(event({ type: 'start', messageId: 'm1' }) + event({ type: 'text-delta', id: '0', delta: 'Brew your café au lait' }));
  const { session, statuses, frame, pending, done } = startSession(page, resume);
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  frame(); // painted
  page.write(event({ type: 'text-delta', id: '0', delta: ' with' }));
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT); // received; the page paints no more frames
  await page.leave(session);
  const final = await done;
  expect(final.message.text).toBe('Brew your café au lait');
  expect(final.status).toBe('incomplete');
  expect(final.incomplete?.reason).toBe('disconnected');
  expect(statuses).not.toContain('reconnecting');
  expect(statuses.at(-1)).toBe('incomplete');
});

test('a page that leaves before the answer came ends `disconnected`, not `error` (its request failed as it left)', async () => {
  const page = await leavingPage('', { hold: true });
  const { session, done } = startSession(page, true);
  await vi.waitFor(() => expect(page.requested()).toBe(true), WAIT);
  await page.leave(session);
  const final = await done;
  expect(final.incomplete?.reason).toBe('disconnected');
  expect(final.error?.name).not.toBe('TypeError');
});

test('a drop that is not a page leaving is still a drop: the next task, `reconnecting` with all that was received', async () => {
  const page = await leavingPage(event({ type: 'start', messageId: 'm1' }) + event({ type: 'text-delta', id: '0', delta: 'Brew' }));
  const { session, statuses, frame, pending } = startSession(page, true);
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  frame();
  page.write(event({ type: 'text-delta', id: '0', delta: ' with' }));
  await vi.waitFor(() => expect(pending()).toBeGreaterThan(0), WAIT);
  await page.leave({ disconnect() {} } as StreamSession); // the body breaks; no page is leaving
  await vi.waitFor(() => expect(statuses).toContain('reconnecting'), WAIT);
  expect(session.getSnapshot().message.text).toBe('Brew with');
  await session.stop();
});

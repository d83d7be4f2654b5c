import { delay, http, HttpResponse } from 'msw';
import { getFixture } from './fixtures';
import { cancelStream, startReplay, type CancelBehaviour } from './mockModelServer';
import { resumeHandlers } from './resumeServer';
import { toolLoopHandlers } from './toolLoopServer';

/**
 * MSW handlers for the two endpoints a `useModelStream` app talks to. The scenario travels in the
 * query string (the story's args), so one set of handlers serves every story and the controls
 * change it live:
 *
 * - `POST /api/chat?fixture=<protocol>/<transcript>&pace=<ms>&stallAfter=<n>&status=<http>`:
 *   replays the transcript, one event every `pace` ms, pausing after `stallAfter` events;
 *   `status` other than 200 answers that HTTP error instead.
 * - `POST /api/cancel?behaviour=confirm|slow|failing|hanging&delayMs=<ms>`: the cancel endpoint.
 */

const HTTP_ERRORS: Record<number, Record<string, unknown>> = {
  429: { error: { message: 'Rate limit reached for requests. Please try again in 20s.', type: 'rate_limit_error' } },
  500: { error: { message: 'The model server had an internal error.', type: 'server_error' } },
  503: { error: { message: 'The model is overloaded. Please try again later.', type: 'overloaded_error' } },
};

const chat = http.post('/api/chat', async ({ request }) => {
  const url = new URL(request.url);
  const fixture = getFixture(url.searchParams.get('fixture') ?? 'openai-chat/text-usage');
  const pace = Number(url.searchParams.get('pace') ?? 40);
  const stallParam = url.searchParams.get('stallAfter');
  const status = Number(url.searchParams.get('status') ?? 200);
  const streamId = request.headers.get('x-stream-id');
  const secret = request.headers.get('x-stream-cancel-secret');
  if (!streamId || !secret) return HttpResponse.json({ error: 'Missing x-stream-id or x-stream-cancel-secret.' }, { status: 400 });

  if (status !== 200) {
    // Time to first byte of a real error answer.
    await delay(pace);
    return HttpResponse.json(HTTP_ERRORS[status] ?? { error: { message: `HTTP ${status}` } }, { status });
  }

  const body = startReplay({
    fixture,
    streamId,
    secret,
    pace,
    stallAfter: stallParam === null || stallParam === '' ? undefined : Number(stallParam),
    signal: request.signal,
  });
  const headers = new Headers({ 'content-type': fixture.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  if (fixture.protocol === 'ai-sdk') headers.set('x-vercel-ai-ui-message-stream', 'v1');
  return new HttpResponse(body, { status: 200, headers });
});

const cancel = http.post('/api/cancel', async ({ request }) => {
  const url = new URL(request.url);
  const behaviour = (url.searchParams.get('behaviour') ?? 'confirm') as CancelBehaviour;
  const delayMs = Number(url.searchParams.get('delayMs') ?? 1500);
  let streamId = '';
  try {
    streamId = String(((await request.json()) as { streamId?: unknown }).streamId ?? '');
  } catch {
    return HttpResponse.json({ error: 'The body must be JSON: {"streamId":"…"}.' }, { status: 400 });
  }
  const answer = await cancelStream(streamId, request.headers.get('x-stream-cancel-secret'), behaviour, { delayMs, signal: request.signal });
  // A hanging cancel that the client gave up on: nobody reads this answer any more.
  if (!answer) return HttpResponse.json({ error: 'The cancel timed out.' }, { status: 504 });
  return HttpResponse.json(answer.body, { status: answer.status });
});

/** Keyed, so a story can override one of them through `parameters.msw.handlers`. */
export const handlers = { chat: [chat], cancel: [cancel], resumable: resumeHandlers, toolLoop: toolLoopHandlers };

import { http, HttpResponse } from 'msw';
import type { Protocol } from '../../src/core/index';
import { createFakeModel, createStreamRegistry, handleCancel, handleModelStream, handleResume } from '../../src/server/index';

/**
 * A resumable model server inside the page (MSW), made of the library's own server helpers:
 * `handleModelStream` with `resume: true` over the fake model, `handleResume`, `handleCancel`, one
 * in-memory registry. `drop()` plays the network blinking: the response the page is reading ends
 * there, without the model's finish (the model goes on on the "server", into its resume log), so
 * the page sees a dropped connection and resumes.
 *
 * - `POST /api/resumable/chat?protocol=<p>&pace=<ms>`: the stream.
 * - `GET /api/resumable/resume?streamId=…`: the resume endpoint.
 * - `GET /api/resumable/expired?streamId=…`: a resume endpoint whose logs all expired (404).
 * - `POST /api/resumable/cancel`: the cancel endpoint.
 */
const registry = createStreamRegistry();
const model = createFakeModel();
/** The open answers' ends, newest last: `drop()` ends them. */
const open = new Set<() => void>();
let resumeRequests = 0;
const listeners = new Set<() => void>();

function changed() {
  for (const listener of listeners) listener();
}

/** An answer whose body `drop()` can end (cleanly: the page sees a stream that stopped before its finish). */
function droppable(response: Response): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  let end = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      end = () => {
        open.delete(end);
        try {
          controller.close();
        } catch {
          // already closed
        }
        reader.cancel().catch(() => {});
      };
      open.add(end);
    },
    async pull(controller) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (!open.has(end)) return;
      if (done) {
        open.delete(end);
        controller.close();
      } else if (value) controller.enqueue(value);
    },
    cancel: () => {
      open.delete(end);
      return reader.cancel();
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}

export const resumeServer = {
  /** Ends every answer the page is reading, mid-stream. */
  drop(): void {
    for (const end of [...open]) end();
    changed();
  },
  /** How many resume requests arrived. */
  resumeRequests: () => resumeRequests,
  /** Tokens the fake model generated after the abort of its latest run (0–1 after a confirmed Stop). */
  latestRun: () => model.runs.at(-1) ?? null,
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

const chat = http.post('/api/resumable/chat', async ({ request }) => {
  const url = new URL(request.url);
  const protocol = (url.searchParams.get('protocol') ?? 'anthropic') as Protocol;
  const intervalMs = Number(url.searchParams.get('pace') ?? 30);
  const response = await handleModelStream(request, { registry, protocol, resume: true, upstream: (signal) => model.stream(signal, { protocol, intervalMs }) });
  return droppable(response);
});

const resume = http.get('/api/resumable/resume', async ({ request }) => {
  resumeRequests++;
  changed();
  return droppable(await handleResume(request, { registry }));
});

const expired = http.get('/api/resumable/expired', () => {
  resumeRequests++;
  changed();
  return HttpResponse.json({ error: 'No stream with this id has a resume log (unknown, or expired).' }, { status: 404 });
});

const cancel = http.post('/api/resumable/cancel', ({ request }) => handleCancel(request, { registry, rateLimit: false }));

export const resumeHandlers = [chat, resume, expired, cancel];

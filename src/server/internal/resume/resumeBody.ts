import type { ResumeLogEntry } from '../../types';

/**
 * The body of a resume answer: the log's entries, pulled one at a time as the client reads (a slow
 * reader never holds the stream up: it reads the log, not the stream), the first one cut to start
 * at the cursor (text and NDJSON). It closes at the log's end, errors if the log fails under it (a
 * gap, Redis gone: the client sees a broken stream and resumes again), and stops reading the log
 * when the client goes away.
 */
export function resumeBody(
  entries: AsyncIterator<ResumeLogEntry>,
  first: Uint8Array | null,
  stop: AbortController,
): ReadableStream<Uint8Array> {
  let pending = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending !== null) {
          controller.enqueue(pending);
          pending = null;
          return;
        }
        try {
          const next = await entries.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value.data);
        } catch (error) {
          controller.error(error);
          stop.abort();
        }
      },
      cancel() {
        stop.abort();
        entries.return?.().catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

import { withBody } from './withBody';

const noop = () => {};

/** The response as the platform's `fetch` gives it: an abort of `signal` errors the body being read. */
export function abortable(response: Response, signal: AbortSignal): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  let onAbort = noop;
  return withBody(
    response,
    new ReadableStream<Uint8Array>(
      {
        start(controller) {
          onAbort = () => {
            try {
              controller.error(signal.reason);
            } catch {
              // already closed
            }
            reader.cancel(signal.reason).catch(noop);
          };
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        },
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (signal.aborted) return;
            if (done) {
              signal.removeEventListener('abort', onAbort);
              controller.close();
            } else controller.enqueue(value);
          } catch (error) {
            signal.removeEventListener('abort', onAbort);
            if (!signal.aborted) controller.error(error);
          }
        },
        cancel(reason) {
          signal.removeEventListener('abort', onAbort);
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    ),
  );
}

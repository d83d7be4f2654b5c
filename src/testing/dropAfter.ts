import { withBody } from './withBody';

const NETWORK_ERROR_MESSAGE = 'network error';

const noop = () => {};

/**
 * `response` with a connection that drops after `afterTokens` chunks (one token each): its body is
 * pulled one chunk at a time, and the next pull errors it as a cut connection does, and cancels the
 * server's body (which the server takes as the client going away).
 */
export function dropAfter(response: Response, afterTokens: number): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  let sent = 0;
  return withBody(
    response,
    new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (sent >= afterTokens) {
            const failure = new TypeError(NETWORK_ERROR_MESSAGE);
            reader.cancel(failure).catch(noop);
            controller.error(failure);
            return;
          }
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else {
              sent++;
              controller.enqueue(value);
            }
          } catch (error) {
            controller.error(error);
          }
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    ),
  );
}

import { abortable } from './abortable';
import { answer } from './answer';
import { absoluteUrl } from './endpointMatcher';

/**
 * A `fetch` over `handle` with no MSW, behaving as the platform's: it rejects on a network error
 * or an aborted signal, and an abort errors the body being read. Other URLs answer 404.
 */
export function createMockFetch(handle: (request: Request) => Promise<Response | null>, endpoints: { api: string; cancelApi: string }): typeof fetch {
  return async (input, init) => {
    const request = new Request(input instanceof Request ? input : absoluteUrl(input), init);
    const { signal } = request;
    if (signal.aborted) throw signal.reason;
    const response = await new Promise<Response | null>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      handle(request).then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
    if (response === null) return answer(404, { error: `The mock model server serves ${endpoints.api} and ${endpoints.cancelApi}, not ${request.url}.` });
    if (response.type === 'error') throw new TypeError('Failed to fetch');
    return abortable(response, signal);
  };
}

import { http, type HttpHandler } from 'msw';

/**
 * MSW handlers passing the requests to the stream and cancel endpoints to `handle` (the cancel
 * endpoint first, for POST, as it may sit under the stream one).
 */
export function createMswHandlers(
  handle: (request: Request) => Promise<Response | null>,
  endpoints: { stream: string | RegExp; cancel: string | RegExp },
): HttpHandler[] {
  const resolver = async ({ request }: { request: Request }) => (await handle(request)) ?? undefined;
  return [http.post(endpoints.cancel, resolver), http.all(endpoints.stream, resolver)];
}

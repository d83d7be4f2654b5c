import { MutationObserver, type QueryClient } from '@tanstack/react-query';
import type { CancelFunction } from '../core/createCancelRequest';
import { StreamHttpError } from '../core/errors';

/** The mutation key of every server cancel, so an app can watch them (`useIsMutating`, devtools). */
export const CANCEL_MUTATION_KEY = ['react-model-stream', 'cancel'] as const;

/**
 * Runs a server cancel as a TanStack Query mutation: visible to the app's devtools and
 * `useIsMutating`, retried once for a network error or a 5xx (a 4xx answer is final), never
 * paused by `onlineManager` (the stream session bounds it with `cancelTimeoutMs` anyway).
 * Built on `MutationObserver` rather than `useMutation` because a stream kept in a shared store
 * outlives the component that started it. `queryClient` may be a getter, read at each cancel.
 *
 * @example
 * ```ts
 * const cancel = createMutationCancel(queryClient, createCancelRequest('/api/chat/cancel'));
 * createStreamSession({ api: '/api/chat', cancel });
 * ```
 */
export function createMutationCancel(queryClient: QueryClient | (() => QueryClient), cancel: CancelFunction): CancelFunction {
  return async (request) => {
    // A getter is read when the cancel runs: the client of the component that says stop (see StopButton).
    const observer = new MutationObserver(typeof queryClient === 'function' ? queryClient() : queryClient, {
      mutationKey: [...CANCEL_MUTATION_KEY, request.streamId],
      mutationFn: () => cancel(request),
      networkMode: 'always',
      retry: (failures, error) =>
        failures < 1 && !request.signal.aborted && !(error instanceof StreamHttpError && error.status < 500),
      retryDelay: 100,
    });
    try {
      return await observer.mutate(undefined);
    } finally {
      // `mutate` attaches the observer to the mutation, and a mutation with an observer is never
      // garbage-collected: detach it, so the finished cancel leaves the cache after its `gcTime`
      // (5 minutes by default, long enough for devtools) like any `useMutation` after unmount.
      observer.reset();
    }
  };
}

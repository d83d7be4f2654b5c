'use client';
import { QueryClient, QueryClientContext } from '@tanstack/react-query';
import { createContext, useContext, useState, type ReactNode } from 'react';
import type { ModelStreamStatus } from '../turns/types';

/** What `ModelStreamProvider` shares with the hooks and components below it. */
export type ModelStreamContextValue = {
  queryClient: QueryClient;
  /** The stream `StopButton` stops when it has no `stream` prop. */
  stream: StoppableStream | null;
};

/** What `stop()` may be told by the component that calls it. */
export type StopOptions = {
  /**
   * The QueryClient to run this stop's server cancel on, instead of the one where the stream's hook
   * sits. `StopButton` passes its own (`useCancelQueryClient()`), so a `ModelStreamProvider` (or
   * `QueryClientProvider`) between the hook and the button is the one used.
   */
  queryClient?: QueryClient;
};

/** The part of `useModelStream`'s result that `StopButton` needs. */
export type StoppableStream = {
  status: ModelStreamStatus;
  stop: (options?: StopOptions) => Promise<{ serverConfirmed: boolean; error?: string }>;
};

/** What the context really carries: also whether the client was chosen explicitly, and under which app client. */
type InternalContextValue = ModelStreamContextValue & {
  /** `queryClient` was given (to this provider or an enclosing one), so it wins over the app's. */
  explicitClient: boolean;
  /** The app's QueryClient around this provider, to tell whether a `QueryClientProvider` sits below it. */
  appClient: QueryClient | undefined;
};

const ModelStreamContext = createContext<InternalContextValue | null>(null);

let fallbackClient: QueryClient | null = null;

/**
 * The QueryClient the cancel mutations run on: the one passed to `ModelStreamProvider`'s
 * `queryClient` (unless a `QueryClientProvider` sits between that provider and the caller: the
 * nearer one wins), else the app's when it has a `QueryClientProvider` (so they show in its
 * devtools), else `ModelStreamProvider`'s own, else one shared by the library.
 *
 * @example
 * ```tsx
 * function CancelsInFlight() {
 *   const pending = useIsMutating({ mutationKey: CANCEL_MUTATION_KEY }, useCancelQueryClient());
 *   return pending > 0 ? <span role="status">Stopping…</span> : null;
 * }
 * ```
 */
export function useCancelQueryClient(): QueryClient {
  const appClient = useContext(QueryClientContext);
  const ours = useContext(ModelStreamContext);
  if (ours?.explicitClient && ours.appClient === appClient) return ours.queryClient;
  if (appClient) return appClient;
  if (ours) return ours.queryClient;
  fallbackClient ??= new QueryClient();
  return fallbackClient;
}

/** The stream provided by the nearest `ModelStreamProvider`, if any. */
export function useProvidedStream(): StoppableStream | null {
  return useContext(ModelStreamContext)?.stream ?? null;
}

export type ModelStreamProviderProps = {
  /**
   * The QueryClient for cancel mutations; wins over an enclosing `QueryClientProvider`. Default: the
   * app's (from `QueryClientProvider`), or one of its own.
   */
  queryClient?: QueryClient;
  /** A stream (the result of `useModelStream`) for descendants such as `StopButton` to act on. */
  stream?: StoppableStream | null;
  children?: ReactNode;
};

/**
 * Optional context for the library: which QueryClient runs server cancels, and which stream a
 * `StopButton` without a `stream` prop stops.
 *
 * @example
 * ```tsx
 * function Chat() {
 *   const chat = useModelStream({ api: '/api/chat', cancelApi: '/api/chat/cancel' });
 *   return (
 *     <ModelStreamProvider stream={chat}>
 *       <Answer />
 *       <StopButton />
 *     </ModelStreamProvider>
 *   );
 * }
 * ```
 */
export function ModelStreamProvider({ queryClient, stream = null, children }: ModelStreamProviderProps) {
  const appClient = useContext(QueryClientContext);
  const parent = useContext(ModelStreamContext);
  // An enclosing provider's explicit client still applies here, unless a QueryClientProvider sits in between.
  const inherited = parent?.explicitClient && parent.appClient === appClient ? parent.queryClient : undefined;
  const [own] = useState(() => queryClient ?? inherited ?? appClient ?? parent?.queryClient ?? new QueryClient());
  const chosen = queryClient ?? inherited;
  const value: InternalContextValue = {
    queryClient: chosen ?? own,
    stream: stream ?? parent?.stream ?? null,
    explicitClient: chosen !== undefined,
    appClient,
  };
  return <ModelStreamContext.Provider value={value}>{children}</ModelStreamContext.Provider>;
}

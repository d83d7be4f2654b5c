'use client';
import { QueryClient, QueryClientContext } from '@tanstack/react-query';
import { createContext, useContext, useState, type ReactNode } from 'react';

/** What `ModelStreamProvider` shares with the hooks and components below it. */
export type ModelStreamContextValue = {
  queryClient: QueryClient;
  /** The stream `StopButton` stops when it has no `stream` prop. */
  stream: StoppableStream | null;
};

/** The part of `useModelStream`'s result that `StopButton` needs. */
export type StoppableStream = {
  status: 'idle' | 'connecting' | 'streaming' | 'stopping' | 'complete' | 'incomplete';
  stop: () => Promise<{ serverConfirmed: boolean; error?: string }>;
};

const ModelStreamContext = createContext<ModelStreamContextValue | null>(null);

let fallbackClient: QueryClient | null = null;

/**
 * The QueryClient the cancel mutations run on: the app's when it has a `QueryClientProvider`
 * (so they show in its devtools), else `ModelStreamProvider`'s, else one shared by the library.
 */
export function useCancelQueryClient(): QueryClient {
  const appClient = useContext(QueryClientContext);
  const ours = useContext(ModelStreamContext);
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
  /** The QueryClient for cancel mutations. Default: the app's (from `QueryClientProvider`), or one of its own. */
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
  const [own] = useState(() => queryClient ?? appClient ?? parent?.queryClient ?? new QueryClient());
  const value: ModelStreamContextValue = { queryClient: queryClient ?? own, stream: stream ?? parent?.stream ?? null };
  return <ModelStreamContext.Provider value={value}>{children}</ModelStreamContext.Provider>;
}

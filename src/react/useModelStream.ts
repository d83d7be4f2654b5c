'use client';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { createAccumulator, type AccumulatedToolCall } from '../core/accumulator';
import { createCancelRequest } from '../core/createCancelRequest';
import { createStreamId } from '../core/ids';
import {
  createStreamSession,
  type CancelFunction,
  type IncompleteReason,
  type StopResult,
  type StreamSession,
  type StreamSessionSnapshot,
  type StreamStatus,
} from '../core/createStreamSession';
import { report } from '../core/internal/reportError';
import type { NotifyScheduler } from '../core/scheduler';
import type { Protocol, Usage } from '../core/types';
import { getConversationMessages } from '../store/getConversationMessages';
import { messagePatchFromSession } from '../store/messagePatchFromSession';
import type { Message, MessageStore } from '../store/types';
import { createMutationCancel } from './createMutationCancel';
import { useCancelQueryClient, type StopOptions } from './ModelStreamProvider';
import type { QueryClient } from '@tanstack/react-query';

/** How a stream ended, as `onFinish` reports it. */
export type StreamEndReason = 'complete' | IncompleteReason;

/** What the request-body builder receives besides the input. */
export type RequestBodyContext = {
  /** The conversation so far (store mode), oldest first, without the new turn. Empty without a store. */
  messages: readonly Message[];
  conversationId: string | undefined;
  streamId: string;
};

export type UseModelStreamOptions<Input = string> = {
  /** The streaming endpoint (e.g. a Next.js route handler using `handleModelStream`). */
  api: string | URL;
  /** The cancel endpoint (`handleCancel`). Without it, Stop only aborts locally (`serverConfirmed: false`). */
  cancelApi?: string | URL;
  /** The wire format, or `'auto'` (default). */
  protocol?: Protocol | 'auto';
  /** Extra headers for the stream and cancel requests, or a function returning them per request. */
  headers?: HeadersInit | (() => HeadersInit);
  credentials?: RequestCredentials;
  /**
   * Builds the request body from `start(input)`. A plain object is sent as JSON. Default:
   * `{ input, messages: [{ role, content }], conversationId }` (turns without text left out). For
   * history in a provider's own shape, use `toModelMessages` from `react-model-stream/store`.
   */
  body?: (input: Input, context: RequestBodyContext) => BodyInit | Record<string, unknown> | null;
  /**
   * A store to keep the conversation in (`createMessageStore()`); the stream then outlives this
   * component. Every hook on the same store and `conversationId` shows (and can stop) the same
   * stream, the current or last one of that conversation; a start stops the one running there,
   * never one of another conversation.
   */
  store?: MessageStore;
  /**
   * The browser's HTTP/1.1 connection limit per host (default 6 in browsers). With that many
   * streams open to the cancel endpoint's origin, Stop frees its own connection right after
   * sending the cancel, so the cancel is not queued behind the streams (see `createStreamSession`).
   */
  connectionsPerHost?: number;
  /** The conversation the messages go to (store mode). Default `'default'`. */
  conversationId?: string;
  /** How often the component re-renders while streaming: once per animation frame (default), every N ms, or every delta (`false`). */
  throttle?: 'frame' | number | false;
  /**
   * A notify scheduler of your own (tests, custom batching); overrides `throttle`.
   *
   * @example
   * ```ts
   * const queue: (() => void)[] = [];
   * const scheduler: NotifyScheduler = (flush) => {
   *   queue.push(flush);
   *   return () => queue.splice(queue.indexOf(flush) >>> 0, 1);
   * };
   * useModelStream({ api: '/api/chat', scheduler }); // re-renders only when you run the queue
   * ```
   */
  scheduler?: NotifyScheduler;
  /** Bound on the server cancel. Default 3000 ms. */
  cancelTimeoutMs?: number;
  /** How long the stream may take to deliver its final usage after the cancel. Default 250 ms. */
  drainMs?: number;
  /** Default 30000 ms; 0 = off. */
  firstByteTimeoutMs?: number;
  /** Default off. */
  idleTimeoutMs?: number;
  /** The `fetch` to use. */
  fetch?: typeof fetch;
  /** Where AI SDK streams carry usage in `messageMetadata`. Default `['usage']`. */
  aiSdkUsagePath?: readonly string[];
  /** Called once per stream when it ends, with the final message. */
  onFinish?: (result: { message: Message; reason: StreamEndReason }) => void;
  /** Called when a stream ends with an error (before `onFinish`). */
  onError?: (error: Error) => void;
};

export type UseModelStreamResult<Input = string> = {
  /** Starts a stream (a running one is stopped first). Resolves with the final message; never rejects. */
  start: (input: Input) => Promise<Message>;
  /**
   * The stop contract: freeze, server cancel, then local abort. Idempotent. `queryClient` runs the
   * server cancel on another client than the hook's (StopButton passes the one where it sits).
   */
  stop: (options?: StopOptions) => Promise<StopResult>;
  status: StreamStatus;
  text: string;
  reasoning: string;
  toolCalls: readonly AccumulatedToolCall[];
  usage: Usage | null;
  /** The assistant message of the current (or last) stream, in the store's `Message` shape; `null` before the first start. */
  message: Message | null;
  error: Error | null;
  streamId: string | null;
  responseId: string | null;
};

type Running = {
  session: StreamSession;
  /** The QueryClient the stream's server cancel runs on; a `stop({ queryClient })` replaces it. */
  cancelClient: { current: QueryClient };
  messageId: string;
  createdAt: number;
  done: Promise<Message>;
  /** What `start()` was given, and whether it was given in the task still running (see `start`). */
  input: unknown;
  thisTask: boolean;
};

/** The same input: the same value, or plain data that serializes the same (an object literal built twice). */
function sameInput(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/**
 * The running stream of one lane: a store's conversation (shared by every hook on it), or one
 * hook-local stream. External to React and read with `useSyncExternalStore`, so that every hook on
 * a lane sees a stream the moment it starts, whoever started it, and a start inside a transition
 * is not deferred (a Stop must find the stream at once).
 */
type Lanes = { running: Map<string, Running>; listeners: Set<() => void> };
// (A lane keeps its last stream after it ended: one entry per conversation, freed with the store.)

function createLanes(): Lanes {
  return { running: new Map(), listeners: new Set() };
}

function setLane(lanes: Lanes, key: string, entry: Running) {
  lanes.running.set(key, entry);
  for (const listener of [...lanes.listeners]) listener();
}

/**
 * Streams that live in a shared store outlive the component that started them: every component on
 * the same store and conversation sees them here, including one that mounts later.
 */
const lanesOfStore = new WeakMap<MessageStore, Lanes>();

function lanesOf(store: MessageStore): Lanes {
  let lanes = lanesOfStore.get(store);
  if (!lanes) lanesOfStore.set(store, (lanes = createLanes()));
  return lanes;
}

/** The lane key of a hook-local stream (its own `Lanes`). */
const LOCAL = 'local';

/** The lane `options` name: the store's conversation, or the hook's own (`localLanes`). */
function laneOf(options: { store?: MessageStore; conversationId?: string }, localLanes: Lanes): { lanes: Lanes; key: string } {
  return options.store ? { lanes: lanesOf(options.store), key: options.conversationId ?? 'default' } : { lanes: localLanes, key: LOCAL };
}

/** What the hook shows before the lane's first stream: a session that has not started, with the empty message every session starts with. */
function idleSnapshot(): StreamSessionSnapshot {
  return Object.freeze({
    status: 'idle',
    message: createAccumulator().message(),
    incomplete: null,
    error: null,
    streamId: '',
    responseId: null,
    protocol: null,
  });
}

// Pure: an app importing only other exports of the entry drops it (and the accumulator with it).
const IDLE_SNAPSHOT = /* @__PURE__ */ idleSnapshot();

const noopSubscribe = () => () => {};

function defaultBody(input: unknown, context: RequestBodyContext): Record<string, unknown> {
  return {
    input,
    conversationId: context.conversationId,
    // A turn with no text (an answer stopped before its first word) is not history a model can use.
    messages: context.messages.filter((m) => m.text !== '').map((m) => ({ role: m.role, content: m.text })),
  };
}

/** The hook-local `Message` of a session (no store): the same object while the snapshot is the same. */
function messageFromSnapshot(snapshot: StreamSessionSnapshot, id: string, createdAt: number): Message {
  const { incomplete, ...patch } = messagePatchFromSession(snapshot);
  const message = { id, role: 'assistant', text: '', reasoning: '', toolCalls: [], usage: null, status: 'streaming', finishReason: null, createdAt, updatedAt: Date.now(), ...patch } as Message;
  // Only an incomplete message has the key, as in the store (`'incomplete' in message` means it).
  if (incomplete) message.incomplete = incomplete;
  return message;
}

function endReason(snapshot: StreamSessionSnapshot): StreamEndReason {
  return snapshot.status === 'complete' ? 'complete' : (snapshot.incomplete?.reason ?? 'disconnected');
}

/**
 * Streams a model's answer into React: partial text, reasoning, tool-call arguments (raw text and
 * a partial parsed value) and usage as they arrive, with a Stop that really stops the model
 * (server cancel endpoint, then local abort) and keeps the partial message marked `incomplete`.
 * Re-renders at most once per animation frame by default.
 *
 * @example
 * ```tsx
 * 'use client';
 * import { useModelStream, StopButton } from 'react-model-stream';
 *
 * export function Chat() {
 *   const chat = useModelStream({ api: '/api/chat', cancelApi: '/api/chat/cancel' });
 *   return (
 *     <form onSubmit={(e) => { e.preventDefault(); chat.start(new FormData(e.currentTarget).get('q') as string); }}>
 *       <input name="q" />
 *       <p>{chat.text}</p>
 *       {chat.message?.incomplete && <em>Stopped: {chat.message.incomplete.reason}</em>}
 *       <StopButton stream={chat} />
 *     </form>
 *   );
 * }
 * ```
 */
export function useModelStream<Input = string>(options: UseModelStreamOptions<Input>): UseModelStreamResult<Input> {
  const queryClient = useCancelQueryClient();
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const { store } = options;

  // The lane this hook shows: the store's conversation, or a hook-local one.
  const [localLanes] = useState(createLanes);
  const { lanes, key: laneKey } = laneOf(options, localLanes);
  const subscribeLane = useCallback(
    (listener: () => void) => {
      lanes.listeners.add(listener);
      return () => {
        lanes.listeners.delete(listener);
      };
    },
    [lanes],
  );
  // The lane's current or last stream: a finished one stays (its final status and message) until
  // the next start on the lane replaces it.
  const running = useSyncExternalStore(
    subscribeLane,
    () => lanes.running.get(laneKey) ?? null,
    () => lanes.running.get(laneKey) ?? null,
  );

  /** The current or last stream of the lane the options name now (read at call time, not from a render). */
  const runningNow = (): Running | null => {
    const now = laneOf(optionsRef.current, localLanes);
    return now.lanes.running.get(now.key) ?? null;
  };

  // Unmount: a hook-local stream has no one left to show it, so it is disconnected (not
  // cancelled: the user did not say stop). Deferred a tick so that StrictMode's simulated
  // unmount/remount does not cut a stream.
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      const current = localLanes.running.get(LOCAL);
      if (!current) return;
      setTimeout(() => {
        if (!mounted.current) current.session.disconnect();
      }, 0);
    };
  }, [localLanes]);

  // Leaving the page (reload, navigation, closing the tab) is a disconnect, said as such: the
  // message is marked `disconnected` by the page itself rather than by a network error later.
  useEffect(() => {
    if (typeof window === 'undefined') return;
    const onPageHide = () => runningNow()?.session.disconnect();
    window.addEventListener('pagehide', onPageHide);
    return () => window.removeEventListener('pagehide', onPageHide);
  }, []);

  const session = running?.session ?? null;
  // The session's own `subscribe` (one function per session), so it changes only with the session.
  const subscribe = session ? session.subscribe : noopSubscribe;
  const snapshot = useSyncExternalStore(
    subscribe,
    () => session?.getSnapshot() ?? IDLE_SNAPSHOT,
    () => session?.getSnapshot() ?? IDLE_SNAPSHOT,
  );

  // The server snapshot is the store's initial state, as in `useMessage` (hydration of server HTML).
  const storeMessage = useSyncExternalStore(
    store?.subscribe ?? noopSubscribe,
    () => (store && running ? (store.getState().messages[running.messageId] ?? null) : null),
    () => (store && running ? (store.getInitialState().messages[running.messageId] ?? null) : null),
  );
  const localMessage = useMemo(
    () => (running && !store ? messageFromSnapshot(snapshot, running.messageId, running.createdAt) : null),
    [snapshot, running, store],
  );

  const start = useCallback(
    (input: Input): Promise<Message> => {
      const opts = optionsRef.current;
      const previous = runningNow();
      // The same input again on the same lane in the same task is one start, not two: React
      // StrictMode runs a mount effect twice in one go (`useEffect(() => { start('Hi') }, [])`
      // would otherwise send the request twice and leave a cancelled turn in the store), and so
      // does a double-fired handler. The second call gets the first one's promise.
      if (previous?.thisTask && sameInput(previous.input, input)) return previous.done;
      // One stream per lane: a new start stops the one running there (not one on another lane).
      if (previous) void previous.session.stop();

      const streamStore = opts.store;
      const convId = opts.conversationId ?? 'default';
      const history = streamStore ? getConversationMessages(streamStore.getState(), convId) : [];

      // createStreamId, not crypto.randomUUID: the latter is missing on plain-http pages.
      let messageId = createStreamId();
      const createdAt = Date.now();
      let finish!: (message: Message) => void;
      const done = new Promise<Message>((resolve) => (finish = resolve));

      // The ids are chosen before the request so that the body builder can use them and a Stop
      // before the first byte can still name the stream to the server.
      const streamId = createStreamId();
      let headers = new Headers();
      let body: BodyInit | null = null;
      let cancel: CancelFunction | undefined;
      const cancelClient = { current: queryClient };
      // The app's headers function and body builder run here; one that throws (or a body that is
      // not JSON-serializable, or a header value fetch refuses) ends this stream as an error like
      // any other: the turn is kept and marked, `start()` still resolves, `onError` is called.
      let buildError: unknown;
      try {
        headers = new Headers(typeof opts.headers === 'function' ? opts.headers() : opts.headers);
        const built = (opts.body ?? defaultBody)(input, { messages: history, conversationId: streamStore ? convId : opts.conversationId, streamId });
        const isJson = built !== null && typeof built === 'object' && Object.getPrototypeOf(built) === Object.prototype;
        if (isJson && !headers.has('content-type')) headers.set('content-type', 'application/json');
        body = isJson ? JSON.stringify(built) : (built as BodyInit | null);
        if (opts.cancelApi) {
          cancel = createMutationCancel(() => cancelClient.current, createCancelRequest(opts.cancelApi, { fetch: opts.fetch, headers, credentials: opts.credentials }));
        }
      } catch (error) {
        buildError = error;
      }

      const session = createStreamSession({
        api: opts.api,
        headers,
        credentials: opts.credentials,
        protocol: opts.protocol,
        // The request could not be built: the session fails at its request, with that error.
        fetch: buildError === undefined ? opts.fetch : () => Promise.reject(buildError),
        cancel,
        // Only to know the cancel's origin (`cancel` above makes the call).
        cancelApi: opts.cancelApi,
        connectionsPerHost: opts.connectionsPerHost,
        cancelTimeoutMs: opts.cancelTimeoutMs,
        drainMs: opts.drainMs,
        firstByteTimeoutMs: opts.firstByteTimeoutMs,
        idleTimeoutMs: opts.idleTimeoutMs,
        throttle: opts.throttle,
        scheduler: opts.scheduler,
        aiSdkUsagePath: opts.aiSdkUsagePath,
        streamId,
        body,
        onError: (error) => optionsRef.current.onError?.(error),
      });

      if (streamStore) {
        const state = streamStore.getState();
        if (typeof input === 'string') state.appendMessage(convId, { role: 'user', text: input });
        messageId = state.appendMessage(convId, { id: messageId, role: 'assistant', status: 'streaming', streamId: session.streamId }).id;
        session.subscribe(() => streamStore.getState().applySessionSnapshot(messageId, session.getSnapshot()));
      }

      const entry: Running = { session, cancelClient, messageId, createdAt, done, input, thisTask: true };
      queueMicrotask(() => (entry.thisTask = false));
      const lane = laneOf(opts, localLanes);
      setLane(lane.lanes, lane.key, entry);

      void session.start().then((final) => {
        let message = messageFromSnapshot(final, messageId, createdAt);
        try {
          if (streamStore) message = streamStore.getState().applySessionSnapshot(messageId, final) ?? message;
        } catch (error) {
          // A throwing store listener must not leave `start()` pending or the lane taken.
          report(error);
        }
        finish(message);
        try {
          optionsRef.current.onFinish?.({ message, reason: endReason(final) });
        } catch (error) {
          // A throwing callback must not become an unhandled rejection.
          report(error);
        }
      });
      return done;
    },
    [queryClient, localLanes],
  );

  const stop = useCallback((stopOptions?: StopOptions): Promise<StopResult> => {
    const current = runningNow();
    if (!current) return Promise.resolve({ serverConfirmed: false });
    if (stopOptions?.queryClient && current.session.getSnapshot().status !== 'stopping') current.cancelClient.current = stopOptions.queryClient;
    return current.session.stop();
  }, []);

  const message = store ? storeMessage : localMessage;
  return {
    start,
    stop,
    status: snapshot.status,
    text: snapshot.message.text,
    reasoning: snapshot.message.reasoning,
    toolCalls: snapshot.message.toolCalls,
    usage: snapshot.message.usage,
    message,
    error: snapshot.error,
    streamId: running?.session.streamId ?? null,
    responseId: snapshot.responseId,
  };
}

'use client';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { createMessageAccumulator } from '../core/createMessageAccumulator';
import { snapshotOf } from '../core/createStreamSession';
import { createTurnController, type TurnController } from '../turns/createTurnController';
import { messageFromSnapshot } from '../turns/messageFromSnapshot';
import { createMutationCancel } from './createMutationCancel';
import { useCancelQueryClient } from './ModelStreamProvider';
import type { UseModelStreamOptions, UseModelStreamResult } from './useModelStreamTypes';
import type { QueryClient } from '@tanstack/react-query';

// The types stay importable from here, where they were first.
export type { ModelStreamStatus, RequestBodyContext, StreamEndReason, Tool, ToolContext, ToolExecute, Tools, UseModelStreamOptions, UseModelStreamResult } from './useModelStreamTypes';

/**
 * What the hook shows before the lane's first turn: a session that has not started, with the empty
 * message every session starts with. Pure: an app importing only other exports of the entry drops
 * it (and the accumulator with it).
 */
const IDLE_SNAPSHOT = /* @__PURE__ */ snapshotOf({ status: 'idle' }, /* @__PURE__ */ createMessageAccumulator().message(), '', null);

const noopSubscribe = () => () => {};

/**
 * A tool action of the hook's result (`addToolResult`, …): the lane's tool run does it, so that its
 * code is in the run's lazy chunk (docs/size.md); without a run (no `tools`) it does nothing.
 */
const toolAction =
  (turns: TurnController<never, QueryClient>, name: 'addToolResult' | 'addToolError' | 'approveToolCall' | 'denyToolCall') =>
  (id: string, value?: unknown) =>
    turns.get()?.run?.[name]?.(id, value as never);

/**
 * Streams a model's answer into React: partial text, reasoning, tool-call arguments (raw text and
 * a partial parsed value) and usage as they arrive, with a Stop that really stops the model
 * (server cancel endpoint, then local abort) and keeps the partial message marked `incomplete`.
 * Re-renders at most once per animation frame by default. It shows the current or last turn of its
 * lane: the store's conversation, or its own (docs/store.md#lanes-and-turns). The turns themselves
 * are a `TurnController` (src/turns/); this hook gives it a lifetime in React.
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
  const [turns] = useState(() => createTurnController<Input, QueryClient>(options, createMutationCancel));
  // Read by the controller at call time (a start, a stop, a callback), as a ref would be.
  turns.options = options;
  const { store } = options;

  // The current or last turn of the lane the options name (the store's conversation, or its own).
  const turn = useSyncExternalStore(turns.subscribe, turns.get, turns.get);

  // Unmount: a hook-local stream has no one left to show it, so it is disconnected (not
  // cancelled: the user did not say stop). Deferred a tick so that StrictMode's simulated
  // unmount/remount does not cut a stream.
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      const own = turns.own();
      if (!own) return;
      setTimeout(() => {
        if (!mounted.current) own.session.disconnect();
      }, 0);
    };
  }, [turns]);

  // Leaving the page (reload, navigation, closing the tab) is a disconnect, said as such: the
  // message is marked `disconnected` by the page itself rather than by a network error later.
  useEffect(() => {
    const page = globalThis.window as Window | undefined; // none in a test runner without a DOM
    const onPageHide = () => turns.get()?.session.disconnect();
    page?.addEventListener('pagehide', onPageHide);
    return () => page?.removeEventListener('pagehide', onPageHide);
  }, [turns]);

  // With `resumeApi` on a persisted store: a stream a reload or a closed tab left is resumed here,
  // in one page only (docs/resume.md, "After a reload").
  const { resumeApi, conversationId } = options;
  useEffect(() => turns.watch(queryClient), [turns, queryClient, store, conversationId, resumeApi && String(resumeApi)]);

  const session = turn?.session ?? null;
  // The session's own `subscribe` (one function per session), so it changes only with the session.
  const getSnapshot = () => session?.getSnapshot() ?? IDLE_SNAPSHOT;
  const snapshot = useSyncExternalStore(session ? session.subscribe : noopSubscribe, getSnapshot, getSnapshot);

  // The server snapshot is the store's initial state, as in `useMessage` (hydration of server HTML).
  const storeMessage = useSyncExternalStore(
    store?.subscribe ?? noopSubscribe,
    () => (store && turn ? (store.getState().messages[turn.messageId] ?? null) : null),
    () => (store && turn ? (store.getInitialState().messages[turn.messageId] ?? null) : null),
  );
  const localMessage = useMemo(() => (turn && !store ? messageFromSnapshot(snapshot, turn.messageId, turn.createdAt) : null), [snapshot, turn, store]);

  // A tool run between its streams says so (`tools`), or that a Stop ended it there.
  // (The run tells the lanes' listeners; this hook re-renders only when its own turn's run changed.)
  const getRunStatus = () => turn?.run?.status ?? null;
  const runStatus = useSyncExternalStore(turns.subscribe, getRunStatus, getRunStatus);

  // A new `start` with a new cancel client, as before; `stop` is the controller's (stable).
  const start = useCallback((input: Input) => turns.start(input, queryClient), [turns, queryClient]);

  return {
    start,
    stop: turns.stop,
    status: runStatus ?? snapshot.status,
    text: snapshot.message.text,
    reasoning: snapshot.message.reasoning,
    toolCalls: snapshot.message.toolCalls,
    usage: snapshot.message.usage,
    message: store ? storeMessage : localMessage,
    error: snapshot.error,
    streamId: turn?.session.streamId ?? null,
    responseId: snapshot.responseId,
    addToolResult: toolAction(turns, 'addToolResult'),
    addToolError: toolAction(turns, 'addToolError'),
    approveToolCall: toolAction(turns, 'approveToolCall'),
    denyToolCall: toolAction(turns, 'denyToolCall'),
  };
}

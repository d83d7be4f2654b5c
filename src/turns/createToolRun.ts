import type { StopResult } from '../core/createStreamSession';
import { report } from '../core/internal/reportError';
import type { Message } from '../store/types';
import { createTurn } from './createTurn';
import { messageFromSnapshot } from './messageFromSnapshot';
import { cancelStep, hasResult, runStepTools } from './runTools';
import type { RunCancel, ToolRun, Turn, TurnOptions } from './types';

/** The default bound on the streams of one run. */
export const DEFAULT_MAX_STEPS = 5;

/** What a run needs from the controller that started it. */
export type ToolRunHost<Input, Client> = {
  /** The latest options (for `onFinish`, read when it fires). */
  host: { options: TurnOptions<Input> };
  /** The options of the `start()`, which every step is made with. */
  options: TurnOptions<Input>;
  input: Input;
  client: Client;
  runCancel: RunCancel<Client>;
  /** Puts a step's turn on the lane (every hook shows it, a Stop finds it). */
  show(turn: Turn<Client>): void;
};

/**
 * Runs a tool loop from its first step's turn (on the lane already): each step streams; one that
 * ends `complete` with tool calls runs the app's tools (`runStepTools`) and, once every call has a
 * result, the next step starts on the same lane, up to `maxSteps`. The first turn's promise settles
 * with the last step's message; `onFinish` fires once, then (docs/tools.md).
 */
export function startToolRun<Input, Client>(first: Turn<Client>, run: ToolRunHost<Input, Client>): ToolRun {
  const { options } = run;
  const store = options.store!;
  const abort = new AbortController();
  const approvals = new Map<string, (approved: boolean) => void>();
  const listeners = new Set<() => void>();
  let turn = first;
  let stopped: Promise<StopResult> | undefined;
  let over = false;
  const setStatus = (status: ToolRun['status']) => {
    if (toolRun.status === status) return;
    toolRun.status = status;
    for (const listener of [...listeners]) listener();
  };
  const callOf = (id: string) => store.getState().messages[turn.messageId]?.toolCalls.find((call) => call.id === id);
  const toolRun: ToolRun = {
    status: null,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      if (stopped) return stopped;
      if (over) return Promise.resolve({ serverConfirmed: false });
      abort.abort();
      // A step streaming: the stop contract. Between streams (tools, approval): the step is marked here.
      if (turn.session.getSnapshot().status !== 'complete') return (stopped = turn.session.stop());
      cancelStep(store, turn.messageId);
      setStatus('incomplete');
      return (stopped = Promise.resolve({ serverConfirmed: false }));
    },
    settle(id, execution) {
      const call = callOf(id);
      if (over || !call || hasResult(call) || call.execution?.state === 'running') return;
      store.getState().setToolExecution(turn.messageId, id, execution);
      approvals.get(id)?.(false);
    },
    approve(id) {
      if (callOf(id)?.execution?.state === 'awaiting-approval') approvals.get(id)?.(true);
    },
  };
  const finish = (message: Message) => {
    over = true;
    first.resolve(message);
    try {
      run.host.options.onFinish?.({ message, reason: message.status === 'complete' ? 'complete' : (message.incomplete?.reason ?? 'disconnected') });
    } catch (error) {
      report(error);
    }
  };
  const state = { abort, approvals, stopped: () => stopped !== undefined, setStatus, finish, current: (next?: Turn<Client>) => (turn = next ?? turn) };
  first.run = toolRun;
  void loop(first, toolRun, run, state);
  return toolRun;
}

type LoopState<Client> = {
  abort: AbortController;
  approvals: Map<string, (approved: boolean) => void>;
  stopped(): boolean;
  setStatus(status: ToolRun['status']): void;
  finish(message: Message): void;
  current(next?: Turn<Client>): Turn<Client>;
};

/** The steps, one after the other, until one ends without tool calls, the run is stopped, or `maxSteps`. */
async function loop<Input, Client>(first: Turn<Client>, toolRun: ToolRun, run: ToolRunHost<Input, Client>, state: LoopState<Client>): Promise<void> {
  const { options } = run;
  const store = options.store!;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  for (let step = 1, turn = first; ; step++) {
    const { session } = turn;
    // `tools` as soon as the stream completes with calls (Stop stays enabled), not a task later.
    const continues = () => session.getSnapshot().status === 'complete' && session.getSnapshot().message.toolCalls.length > 0 && step < maxSteps;
    const unsubscribe = session.subscribe(() => void (continues() && !state.stopped() && state.setStatus('tools')));
    const final = await session.start();
    unsubscribe();
    let message: Message | undefined;
    try {
      // Stopped between streams: the step's message was marked, the session's `complete` is stale.
      message = toolRun.status === 'incomplete' ? store.getState().messages[turn.messageId] : store.getState().applySessionSnapshot(turn.messageId, final);
    } catch (error) {
      report(error);
    }
    message ??= messageFromSnapshot(final, turn.messageId, turn.createdAt);
    if (state.stopped() || !continues()) return state.finish(message);
    await runStepTools(options.tools!, { store, messageId: turn.messageId, signal: state.abort.signal, approvals: state.approvals });
    if (state.stopped()) return state.finish(store.getState().messages[turn.messageId] ?? message);
    const next = createTurn(run.host, options, run.input, run.client, run.runCancel, step + 1);
    Object.assign(next, { promise: first.promise, resolve: first.resolve, reject: first.reject, input: first.input, thisTask: false, run: toolRun });
    turn = state.current(next);
    state.approvals.clear();
    run.show(turn);
    state.setStatus(null);
  }
}

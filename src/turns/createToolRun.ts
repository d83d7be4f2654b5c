// Loaded on demand (createTurnController's `loadToolRuns`): this module imports none of the
// library's code at run time (what it needs comes in `ToolRunHost`), so bundlers split off no
// shared chunk that every app would download (docs/size.md).
import type { StopResult, StreamSessionSnapshot } from '../core/createStreamSession';
import type { Message, MessageStore, ToolExecution } from '../store/types';
import { cancelStep, hasResult, runStepTools } from './runTools';
import type { ToolRun, Turn, TurnOptions } from './types';

/** The default bound on the streams of one run. */
export const DEFAULT_MAX_STEPS = 5;

/** What a run needs from the controller that started it. */
export type ToolRunHost<Client> = {
  /** The options of the `start()`, which every step is made with. */
  options: TurnOptions<never>;
  /** A step's turn (`createTurn` with the start's options and input), not started. */
  next(step: number): Turn<Client>;
  /** Puts a step's turn on the lane (every hook shows it, a Stop finds it). */
  show(turn: Turn<Client>): void;
  /** A step's final message: its session's last snapshot applied to the store. */
  final(turn: Turn<Client>, final: StreamSessionSnapshot): Message;
  /** Settles `start()` with the run's last message and calls `onFinish`, once. */
  finish(message: Message): void;
  /** Tells the lanes' listeners (every hook) that the run's status changed. */
  notify(): void;
};

/** What the loop shares with the run's methods. */
type RunState<Client> = {
  toolRun: ToolRun;
  turn: Turn<Client>;
  stopped?: Promise<StopResult>;
  over: boolean;
  abort: AbortController;
  approvals: Map<string, (approved: boolean) => void>;
  setStatus(status: ToolRun['status']): void;
};

/**
 * Runs a tool loop from its first step's turn (on the lane, its stream started): each step
 * streams; one that ends `complete` with tool calls runs the app's tools (`runStepTools`) and, once
 * every call has a result, the next step starts on the same lane, up to `maxSteps`. The first
 * turn's promise settles with the last step's message; `onFinish` fires once, then (docs/tools.md).
 */
export function startToolRun<Client>(first: Turn<Client>, host: ToolRunHost<Client>): ToolRun {
  const store = host.options.store!;
  const callOf = (id: string) => store.getState().messages[state.turn.messageId]?.toolCalls.find((call) => call.id === id);
  /** Sets a result of a call of the current step that has none yet (`error` for a failure the app reports, `denied` for a deny). */
  const settle = (id: string, execution: ToolExecution) => {
    const call = callOf(id);
    if (state.over || !call || hasResult(call) || call.execution?.state === 'running') return;
    store.getState().setToolExecution(state.turn.messageId, id, execution);
    state.approvals.get(id)?.(false);
  };
  const toolRun: ToolRun = {
    status: null,
    stop() {
      if (state.stopped) return state.stopped;
      if (state.over) return Promise.resolve({ serverConfirmed: false });
      state.abort.abort();
      // A step streaming: the stop contract. Between streams (tools, approval): the step is marked here.
      if (state.turn.session.getSnapshot().status !== 'complete') return (state.stopped = state.turn.session.stop());
      cancelStep(store, state.turn.messageId);
      state.setStatus('incomplete');
      return (state.stopped = Promise.resolve({ serverConfirmed: false }));
    },
    addToolResult: (id, result) => settle(id, { state: 'done', result }),
    // As a throwing tool's (runTools.ts `runCall`): what the model reads is the message.
    addToolError: (id, error) => settle(id, { state: 'error', error: error instanceof Error ? error.message : String(error) }),
    approveToolCall(id) {
      if (callOf(id)?.execution?.state === 'awaiting-approval') state.approvals.get(id)?.(true);
    },
    denyToolCall: (id, reason) => settle(id, reason === undefined ? { state: 'denied' } : { state: 'denied', reason }),
  };
  const state: RunState<Client> = {
    toolRun,
    turn: first,
    over: false,
    abort: new AbortController(),
    approvals: new Map(),
    setStatus(status) {
      if (toolRun.status === status) return;
      toolRun.status = status;
      host.notify();
    },
  };
  first.run = toolRun;
  // Stopped while this module loaded.
  if (first.halted) void toolRun.stop();
  void loop(first, host, state);
  return toolRun;
}

/** The steps, one after the other, until one ends without tool calls, the run is stopped, or `maxSteps`. */
async function loop<Client>(first: Turn<Client>, host: ToolRunHost<Client>, state: RunState<Client>): Promise<void> {
  const { options } = host;
  const store = options.store!;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  for (let step = 1, turn = first; ; step++) {
    const { session } = turn;
    // `tools` as soon as the stream completes with calls (Stop stays enabled), not a task later.
    const continues = () => session.getSnapshot().status === 'complete' && session.getSnapshot().message.toolCalls.length > 0 && step < maxSteps;
    const mark = () => void (continues() && !state.stopped && state.setStatus('tools'));
    const unsubscribe = session.subscribe(mark);
    mark();
    const final = await session.start();
    unsubscribe();
    // Stopped between streams: the step's message was marked, the session's `complete` is stale.
    let message = state.toolRun.status === 'incomplete' ? store.getState().messages[turn.messageId] : host.final(turn, final);
    // A Stop after the model's finish event but before the step completed: the run stops here.
    if (state.stopped && continues() && state.toolRun.status !== 'incomplete') {
      cancelStep(store, turn.messageId);
      state.setStatus('incomplete');
      message = store.getState().messages[turn.messageId];
    }
    if (state.stopped || !continues()) return end(state, host, message ?? host.final(turn, final));
    await runStepTools(options.tools!, { store, messageId: turn.messageId, signal: state.abort.signal, approvals: state.approvals });
    if (state.stopped) return end(state, host, store.getState().messages[turn.messageId] ?? message!);
    turn = state.turn = Object.assign(host.next(step + 1), { promise: first.promise, resolve: first.resolve, reject: first.reject, input: first.input, thisTask: false, run: state.toolRun });
    state.approvals.clear();
    host.show(turn);
    state.setStatus(null);
  }
}

/** The run's end: no more steps, actions are no-ops, `start()` settles. */
function end<Client>(state: RunState<Client>, host: ToolRunHost<Client>, message: Message): void {
  state.over = true;
  host.finish(message);
}

/**
 * The end of a resumed step of a tool run: a complete message's calls without a result become
 * `cancelled` / `disconnected` (as the store's repair marks a call a reload cut off), the message
 * `incomplete` / `disconnected`, and the turn's run `incomplete` (the hook's status). A step that
 * ended otherwise (no calls, a Stop, a drop) is left as it is.
 */
export function endRun(store: MessageStore, turn: Turn<unknown>, message: Message): Message {
  const unanswered = message.status === 'complete' ? message.toolCalls.filter((call) => !call.execution) : [];
  if (unanswered.length === 0) return message;
  const { setToolExecution, updateMessage } = store.getState();
  for (const call of unanswered) setToolExecution(message.id, call.id, { state: 'cancelled', reason: 'disconnected' });
  // Nothing runs any more: a Stop (the ended session's) or an action is a no-op.
  turn.run = { status: 'incomplete', stop: turn.session.stop };
  return updateMessage(message.id, { status: 'incomplete', incomplete: { reason: 'disconnected' } }) ?? message;
}

// In src/turns/, not src/react/: the turns import core/ and store/ but nothing from React, so they
// are tested in plain Node (test/turns/); the layer's rule is in types.ts' header.
import type { StopResult, StreamSessionSnapshot } from '../core/createStreamSession';
import type { Message, MessageStore } from '../store/types';
import { Lane, laneOf, notifyLanes, subscribeToLanes, type Lanes } from './lanes';
import { report } from '../core/internal/reportError';
import { loadPartialJson } from '../core/session/loadPartialJson';
import { createTurn, createTurnSession, type TurnRequest } from './createTurn';
import { messageFromSnapshot } from './messageFromSnapshot';
import type { RunCancel, Turn, TurnOptions } from './types';

/**
 * The turns of one `useModelStream` (docs/store.md#lanes-and-turns), without React: the hook keeps
 * one for its lifetime, sets `options` on each render, and reads `get` through
 * `useSyncExternalStore(subscribe, get)`. Every method reads `options` when it is called.
 */
export type TurnController<Input, Client> = {
  /** The options of the latest render: they name the lane (store and conversation) and hold the callbacks. */
  options: TurnOptions<Input>;
  /**
   * Starts a turn on the lane (a running one there is stopped first). Resolves with the final
   * message (with `tools`: the run's last step's); never rejects. Throws a `TypeError` when
   * `tools` are given without a `store`.
   */
  start(input: Input, client: Client): Promise<Message>;
  /** Stops the lane's turn (the stop contract, see `StreamSession.stop`); `queryClient` runs its server cancel elsewhere. */
  stop(options?: { queryClient?: Client }): Promise<StopResult>;
  /** Listens to every lane (see `subscribeToLanes`): `get` says whether this one changed. */
  subscribe(listener: () => void): () => void;
  /** The lane's current or last turn: a finished one stays (its final status and message) until the next start replaces it. */
  get(): Turn<Client> | null;
  /** The turn of its own lane (the one used without a store), whatever `options` say now. */
  own(): Turn<Client> | undefined;
  /**
   * With `resumeApi` and a persisted store: records the streams this page starts on the lane, and
   * resumes those another page left (a reload, a closed tab), each in one page only
   * (docs/resume.md). Returns the way to stop watching.
   */
  watch(client: Client): () => void;
};

/** The same input: the same value, or plain data that serializes the same (an object literal built twice). */
export function sameInput(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/** Stops a turn: its whole tool run when it is a step of one, else its stream. */
const stopTurn = (turn: Turn<unknown>) => {
  // A run whose module is still loading: its first step streams, and the run stops when it loads.
  turn.halted = true;
  return (turn.run ?? turn.session).stop();
};

/** A turn's final message: its session's last snapshot, applied to the store (unless a failed resume, which leaves the message as it was). */
function finalMessage<Client>(turn: Turn<Client>, final: StreamSessionSnapshot, store: MessageStore | undefined): Message {
  let message = messageFromSnapshot(final, turn.messageId, turn.createdAt);
  try {
    if (store) message = ((turn.shows?.() ?? true) ? store.getState().applySessionSnapshot(turn.messageId, final) : store.getState().messages[turn.messageId]) ?? message;
    if (turn.endRun) message = turn.endRun(message);
  } catch (error) {
    // A throwing store listener must not leave `start()` pending or the lane taken.
    report(error);
  }
  return message;
}

/** Settles `start()` with the final message and tells `onFinish` (the latest options' callback, read when it fires). */
function finish<Client>(turn: Turn<Client>, message: Message, host: { options: TurnOptions<never> }): void {
  turn.resolve(message);
  try {
    host.options.onFinish?.({ message, reason: message.status === 'complete' ? 'complete' : (message.incomplete?.reason ?? 'disconnected') });
  } catch (error) {
    // A throwing callback must not become an unhandled rejection.
    report(error);
  }
}

/** Runs a turn on its lane to its end: the final message settles `start()` and goes to `onFinish`. */
function run<Input, Client>(turn: Turn<Client>, store: TurnOptions<Input>['store'], host: { options: TurnOptions<Input> }): void {
  void turn.session.start().then((final) => {
    const message = finalMessage(turn, final, store);
    // A resumed step whose run ended with it (`endRun`): every hook shows the run's status.
    if (turn.run) notifyLanes();
    // A resume that failed (its log expired) says nothing.
    if (turn.shows?.() ?? true) finish(turn, message, host as never);
    else turn.resolve(message);
  });
}

/**
 * The tool-run module, loaded on the first start with `tools` (or when a controller is made with
 * them): an app without tools never downloads it (docs/size.md). The partial JSON parser's chunk
 * with it, so that the run's first tool call parses from its first delta.
 */
let toolRuns: Promise<typeof import('./createToolRun')> | undefined;
const loadToolRuns = () => (toolRuns ??= (loadPartialJson(), import('./createToolRun')));

/** A turn controller (see {@link TurnController}); `runCancel` runs each server cancel (the React layer: a TanStack Query mutation). */
export function createTurnController<Input, Client>(options: TurnOptions<Input>, runCancel: RunCancel<Client>): TurnController<Input, Client> {
  const ownLanes: Lanes<Client> = new Map();
  const get = () => {
    const [lanes, key] = laneOf(controller.options, ownLanes);
    return lanes.get(key) ?? null;
  };
  /** Puts a turn on its lane: every hook shows it, a Stop finds it. */
  const show = (turn: Turn<Client>, lanes: Lanes<Client>, key: string) => {
    lanes.set(key, turn);
    notifyLanes();
  };
  /** Puts a turn on its lane and runs it to its end. */
  const put = (turn: Turn<Client>, lanes: Lanes<Client>, key: string) => {
    show(turn, lanes, key);
    run(turn, controller.options.store, controller);
  };
  if (options.tools) void loadToolRuns().catch(report);
  const controller: TurnController<Input, Client> = {
    options,
    get,
    own: () => ownLanes.get(Lane.OWN),
    subscribe: subscribeToLanes,
    start(input, client) {
      // The options of this call name the lane and build the turn, as they were when it was made.
      const options = controller.options;
      const [lanes, key] = laneOf(options, ownLanes);
      const previous = lanes.get(key);
      // The same input again on the same lane in the same task is one start, not two: React
      // StrictMode runs a mount effect twice in one go (`useEffect(() => { start('Hi') }, [])`
      // would otherwise send the request twice and leave a cancelled turn in the store), and so
      // does a double-fired handler. The second call gets the first one's promise.
      if (previous?.thisTask && sameInput(previous.input, input)) return previous.promise;
      // One turn per lane: a new start stops the one running there (not one on another lane).
      if (options.tools && !options.store) throw new TypeError('react-model-stream: `tools` needs a `store` (docs/tools.md)');
      if (previous) void stopTurn(previous);
      const turn = createTurn(controller, options, input, client, runCancel);
      // On the lane before its first byte (every hook shows it, a Stop finds it), then run to its
      // end: the final message settles `start()` and goes to `onFinish`. With tools, the run
      // puts each next step on the lane and settles `start()` once (docs/tools.md).
      show(turn, lanes, key);
      if (!options.tools) run(turn, options.store, controller);
      else {
        void turn.session.start();
        // The run's module imports none of the library's code: what it needs is handed to it here.
        loadToolRuns().then(
          (runs) => runs.startToolRun(turn, { options, next: (step) => createTurn(controller, options, input, client, runCancel, step), show: (step) => show(step, lanes, key), final: (step, final) => finalMessage(step, final, options.store), finish: (message) => finish(turn, message, controller as never), notify: notifyLanes }),
          (error) => {
            // Without its module the run is its first step, run as a plain turn.
            report(error);
            run(turn, options.store, controller);
          },
        );
      }
      return turn.promise;
    },
    watch(client) {
      const { store, resumeApi, conversationId = 'default' } = controller.options;
      if (!resumeApi || !store?.persist) return () => {};
      let stop: (() => void) | null = null;
      void import('./resumeAcrossPages').then((pages) => {
        // The chunk imports none of the library's code: what it needs is handed to it here.
        const host = { controller, put: (turn: Turn<Client>) => put(turn, ...laneOf(controller.options, ownLanes)), session: (request: TurnRequest, cancelClient: () => Client) => createTurnSession(controller, controller.options, request, cancelClient, runCancel), toolRuns: loadToolRuns };
        stop ??= pages.watchStreams(host, store, conversationId, client);
      }, report);
      return () => {
        stop?.();
        stop = () => {};
      };
    },
    stop(stopOptions) {
      const current = get();
      if (!current) return Promise.resolve({ serverConfirmed: false });
      if (stopOptions?.queryClient && current.session.getSnapshot().status !== 'stopping') current.cancelClient = stopOptions.queryClient;
      return stopTurn(current);
    },
  };
  return controller;
}

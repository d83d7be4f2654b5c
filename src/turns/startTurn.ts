import { createCancelRequest, type CancelFunction } from '../core/createCancelRequest';
import { createStreamSession, type StreamSession } from '../core/createStreamSession';
import { createDeferred } from '../core/internal/createDeferred';
import { report } from '../core/internal/reportError';
import { createStreamId } from '../core/ids';
import { getConversationMessages } from '../store/getConversationMessages';
import type { MessageStore } from '../store/types';
import { buildStreamRequest, type StreamRequest } from './buildStreamRequest';
import { endReason, messageFromSnapshot } from './messageFromSnapshot';
import type { RunCancel, Turn, TurnOptions } from './types';

/** What a turn reads from its controller: the latest options (callbacks are read when they fire) and how cancels run. */
export type TurnHost<Input, Client> = { options: TurnOptions<Input>; runCancel: RunCancel<Client> };

/**
 * Creates a turn (its request, session and, with a store, its two messages) without starting it:
 * the controller puts it on its lane first, so that every hook sees it before its first byte.
 * The app's `headers` function and `body` builder run here; one that throws (or a body that is not
 * JSON-serializable, or a header value `Headers` refuses) ends this turn as an error like any
 * other: the turn is kept and marked, `start()` still resolves, `onError` is called.
 */
export function createTurn<Input, Client>(host: TurnHost<Input, Client>, input: Input, client: Client): Turn<Client> {
  const options = host.options;
  const store = options.store;
  const conversationId = options.conversationId ?? 'default';
  const history = store ? getConversationMessages(store.getState(), conversationId) : [];
  // createStreamId, not crypto.randomUUID: the latter is missing on plain-http pages.
  const messageId = createStreamId();
  const createdAt = Date.now();
  // The ids are chosen before the request so that the body builder can use them and a Stop
  // before the first byte can still name the stream to the server.
  const streamId = createStreamId();
  const cancelClient = { current: client };
  let request: StreamRequest = { headers: new Headers(), body: null };
  let cancel: CancelFunction | undefined;
  let buildError: unknown;
  try {
    request = buildStreamRequest(options, input, { messages: history, conversationId: store ? conversationId : options.conversationId, streamId });
    if (options.cancelApi) {
      const cancelRequest = createCancelRequest(options.cancelApi, { fetch: options.fetch, headers: request.headers, credentials: options.credentials });
      cancel = host.runCancel(() => cancelClient.current, cancelRequest);
    }
  } catch (error) {
    buildError = error;
  }
  const session = createTurnSession(host, request, streamId, cancel, buildError);
  const turn: Turn<Client> = { session, cancelClient, messageId, createdAt, done: createDeferred(), input, thisTask: true };
  if (store) turn.messageId = addTurnToStore(store, conversationId, input, messageId, session);
  // Until the task ends, the same input again is this start (the StrictMode dedupe, see the controller).
  queueMicrotask(() => (turn.thisTask = false));
  return turn;
}

/** The turn's stream session: the options, the request built, and the cancel (unless the request could not be built). */
function createTurnSession<Input, Client>(host: TurnHost<Input, Client>, request: StreamRequest, streamId: string, cancel: CancelFunction | undefined, buildError: unknown): StreamSession {
  const options = host.options;
  return createStreamSession({
    api: options.api,
    headers: request.headers,
    credentials: options.credentials,
    protocol: options.protocol,
    // The request could not be built: the session fails at its request, with that error.
    fetch: buildError === undefined ? options.fetch : () => Promise.reject(buildError),
    cancel,
    // Only to know the cancel's origin (`cancel` above makes the call).
    cancelApi: options.cancelApi,
    connectionsPerHost: options.connectionsPerHost,
    cancelTimeoutMs: options.cancelTimeoutMs,
    drainMs: options.drainMs,
    firstByteTimeoutMs: options.firstByteTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    throttle: options.throttle,
    scheduler: options.scheduler,
    aiSdkUsagePath: options.aiSdkUsagePath,
    streamId,
    body: request.body,
    onError: (error) => host.options.onError?.(error),
  });
}

/** The turn's user message (a string input) and assistant message in the store, kept in step with the session. Returns the assistant message's id. */
function addTurnToStore(store: MessageStore, conversationId: string, input: unknown, messageId: string, session: StreamSession): string {
  const state = store.getState();
  if (typeof input === 'string') state.appendMessage(conversationId, { role: 'user', text: input });
  const id = state.appendMessage(conversationId, { id: messageId, role: 'assistant', status: 'streaming', streamId: session.streamId }).id;
  session.subscribe(() => store.getState().applySessionSnapshot(id, session.getSnapshot()));
  return id;
}

/** Runs the turn's session to its end, then settles `start()`'s promise and calls `onFinish` with the final message. */
export function runTurn<Input>(host: { options: TurnOptions<Input> }, turn: Turn<unknown>, store: MessageStore | undefined): void {
  const { session, messageId, createdAt } = turn;
  void session.start().then((final) => {
    let message = messageFromSnapshot(final, messageId, createdAt);
    try {
      if (store) message = store.getState().applySessionSnapshot(messageId, final) ?? message;
    } catch (error) {
      // A throwing store listener must not leave `start()` pending or the lane taken.
      report(error);
    }
    turn.done.resolve(message);
    try {
      host.options.onFinish?.({ message, reason: endReason(final) });
    } catch (error) {
      // A throwing callback must not become an unhandled rejection.
      report(error);
    }
  });
}

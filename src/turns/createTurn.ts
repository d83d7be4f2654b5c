import { createCancelRequest } from '../core/createCancelRequest';
import { createStreamSession, type StreamSession, type StreamSessionOptions } from '../core/createStreamSession';
import { createDeferred } from '../core/internal/createDeferred';
import { createCancelSecret, createStreamId } from '../core/ids';
import { getOwn } from '../store/record';
import type { Message, MessageStoreData } from '../store/types';
import { buildStreamRequest, type StreamRequest } from './buildStreamRequest';
import type { RunCancel, Turn, TurnOptions } from './types';

/**
 * The options a turn gives its stream session as they are (`cancelApi` only tells the session the
 * cancel's origin: `cancel` makes the call).
 */
export const PASSED_THROUGH = [
  'api',
  'credentials',
  'protocol',
  'cancelApi',
  'connectionsPerHost',
  'cancelTimeoutMs',
  'drainMs',
  'firstByteTimeoutMs',
  'idleTimeoutMs',
  'throttle',
  'scheduler',
  'aiSdkUsagePath',
  'resumeApi',
  'reconnect',
] as const satisfies readonly (keyof TurnOptions & keyof StreamSessionOptions)[];

/** What a turn reads from its controller: the latest options, for the callbacks (read when they fire). */
export type TurnHost<Input> = { options: TurnOptions<Input> };

/** A turn's request and ids: what differs between a started turn and a resumed one. */
export type TurnRequest = Partial<Pick<StreamSessionOptions, 'api' | 'method' | 'body' | 'fetch' | 'cancelSecret'>> & { streamId: string; headers?: Headers };

/**
 * A turn's stream session: the options passed through, `request` over them, and (with
 * `cancelApi`, unless `cancels` is false) the server cancel, run by `runCancel` with the client
 * `client()` returns at the time of the cancel. Also what a resumed turn is made with.
 */
export function createTurnSession<Input, Client>(host: TurnHost<Input>, options: TurnOptions<Input>, request: TurnRequest, client: () => Client, runCancel: RunCancel<Client>, cancels = true): StreamSession {
  const cancel =
    cancels && options.cancelApi
      ? runCancel(client, createCancelRequest(options.cancelApi, { fetch: options.fetch, headers: request.headers, credentials: options.credentials }))
      : undefined;
  return createStreamSession({
    ...(Object.fromEntries(PASSED_THROUGH.map((key) => [key, options[key]])) as Pick<TurnOptions<Input>, (typeof PASSED_THROUGH)[number]>),
    fetch: options.fetch,
    ...request,
    cancel,
    onError: (error) => host.options.onError?.(error),
  });
}

/**
 * A conversation's messages, oldest first, for the body builder: `getConversationMessages`
 * without its memo, which serves selectors (the same array while nothing changed), not a request
 * built once per turn; so the memo stays out of the bundle of an app that does not use it.
 */
function historyOf({ conversations, messages }: MessageStoreData, conversationId: string): Message[] {
  return (getOwn(conversations, conversationId)?.messageIds ?? []).flatMap((id) => getOwn(messages, id) ?? []);
}

/**
 * Creates a turn (its request, session and, with a store, its two messages) without starting it:
 * the controller puts it on its lane first, so that every hook sees it before its first byte.
 * The app's `headers` function and `body` builder run here; one that throws (or a body that is not
 * JSON-serializable, or a header value `Headers` refuses) ends this turn as an error like any
 * other: the turn is kept and marked, `start()` still resolves, `onError` is called.
 */
export function createTurn<Input, Client>(host: TurnHost<Input>, options: TurnOptions<Input>, input: Input, client: Client, runCancel: RunCancel<Client>, step = 1): Turn<Client> {
  const store = options.store;
  const conversationId = options.conversationId ?? 'default';
  const history = store ? historyOf(store.getState(), conversationId) : [];
  // createStreamId, not crypto.randomUUID: the latter is missing on plain-http pages.
  const messageId = createStreamId();
  const createdAt = Date.now();
  // The ids are chosen before the request so that the body builder can use them and a Stop
  // before the first byte can still name the stream to the server.
  const streamId = createStreamId();
  // With resume, the secret is the turn's own (not the session's): another page resumes with it.
  const secret = options.resumeApi ? createCancelSecret() : undefined;
  let request: StreamRequest | undefined;
  let buildError: unknown;
  try {
    request = buildStreamRequest(options, input, { messages: history, conversationId: store ? conversationId : options.conversationId, streamId, step });
  } catch (error) {
    buildError = error;
  }
  // The client is read at each cancel (a `stop({ queryClient })` may replace it). Building the cancel cannot throw.
  const session = createTurnSession(
    host,
    options,
    {
      headers: request?.headers,
      // The request could not be built: the session fails at its request, with that error.
      fetch: buildError === undefined ? options.fetch : () => Promise.reject(buildError),
      streamId,
      cancelSecret: secret,
      body: request?.body,
    },
    () => turn.cancelClient,
    runCancel,
    request !== undefined,
  );
  const turn: Turn<Client> = { ...createDeferred<Message>(), session, cancelClient: client, messageId, createdAt, input, thisTask: true, secret };
  if (store) {
    // The user's message (a string input, on a run's first step) and the answer's, kept in step with the session.
    const state = store.getState();
    if (typeof input === 'string' && step < 2) state.appendMessage(conversationId, { role: 'user', text: input });
    const id = (turn.messageId = state.appendMessage(conversationId, { id: messageId, role: 'assistant', status: 'streaming', streamId }).id);
    session.subscribe(() => store.getState().applySessionSnapshot(id, session.getSnapshot()));
  }
  // Until the task ends, the same input again is this start (the StrictMode dedupe, see the controller).
  queueMicrotask(() => (turn.thisTask = false));
  return turn;
}

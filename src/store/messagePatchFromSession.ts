import type { IncompleteReason, MessageIncomplete, MessagePatch, MessageStatus, SessionSnapshotLike, ToolCall } from './types';

const INCOMPLETE_REASONS: ReadonlySet<string> = new Set<IncompleteReason>([
  'cancelled',
  'disconnected',
  'error',
  'length',
  'content-filter',
]);

function statusFromSession(status: string, hasIncomplete: boolean): MessageStatus {
  if (status === 'stopping' || status === 'complete' || status === 'incomplete') return status;
  // A status this version does not know: never leave a message spinning when the session
  // already says why it ended.
  return hasIncomplete && status !== 'idle' && status !== 'connecting' && status !== 'streaming' ? 'incomplete' : 'streaming';
}

function errorText(error: unknown): string | undefined {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  return undefined;
}

function incompleteFromSession(snapshot: SessionSnapshotLike): MessageIncomplete {
  const source = snapshot.incomplete;
  const known = source !== null && INCOMPLETE_REASONS.has(source.reason);
  const reason: IncompleteReason = known ? (source.reason as IncompleteReason) : 'error';
  const result: MessageIncomplete = { reason };
  if (source?.serverConfirmed !== undefined) result.serverConfirmed = source.serverConfirmed;
  let error = source?.error;
  if (error === undefined && reason === 'error') {
    // A reason this version does not know (e.g. a future `timeout`) stays readable instead of lost.
    error = errorText(snapshot.error) ?? (snapshot.message.error || undefined) ?? (source && !known ? source.reason : undefined);
  }
  if (error !== undefined) result.error = error;
  return result;
}

/**
 * Maps a stream session snapshot to a `Message` patch: status `idle` / `connecting` / `streaming` /
 * `reconnecting` (a resume on its way: the answer goes on) →
 * `streaming`, `stopping` → `stopping`, `complete` → `complete`, `incomplete` → `incomplete` with the
 * `incomplete` object (any other status counts as `incomplete` when the session says why it ended).
 * Text, reasoning, tool calls, usage, finish reason, refusal, annotations, stop sequence and
 * reasoning parts come from `snapshot.message`; `responseId`
 * from the snapshot (or the message id); `streamId` from the snapshot. Pure.
 *
 * The session's `toolCalls` array is passed through as is, so an unchanged array keeps its
 * identity and `updateMessage` sees no change. `incomplete: undefined` is set for every status but
 * `incomplete`, which removes a stale one (a resumed message). The session knows nothing of tool
 * executions: `applySessionSnapshot` keeps the message's, `updateMessage` with this patch replaces them.
 *
 * @example
 * ```ts
 * // A message kept elsewhere than the store (in a store, applySessionSnapshot: it keeps tool executions).
 * session.subscribe(() => setMessage((message) => ({ ...message, ...messagePatchFromSession(session.getSnapshot()) })));
 * ```
 */
export function messagePatchFromSession(snapshot: SessionSnapshotLike): MessagePatch {
  const { message } = snapshot;
  const status = statusFromSession(snapshot.status, snapshot.incomplete !== null);
  const patch: MessagePatch = {
    status,
    text: message.text,
    reasoning: message.reasoning,
    // Frozen and readonly in the session; the store never mutates it, so sharing keeps identity.
    toolCalls: message.toolCalls as ToolCall[],
    usage: message.usage,
    finishReason: message.finishReason,
    incomplete: status === 'incomplete' ? incompleteFromSession(snapshot) : undefined,
    // Present only when the stream carried them: `undefined` keeps them off the message (and
    // removes a stale one from a message streamed again).
    refusal: message.refusal,
    annotations: message.annotations,
    stopSequence: message.stopSequence,
    reasoningParts: message.reasoningParts,
  };
  if (snapshot.streamId) patch.streamId = snapshot.streamId;
  const responseId = snapshot.responseId ?? message.id;
  if (responseId) patch.responseId = responseId;
  return patch;
}

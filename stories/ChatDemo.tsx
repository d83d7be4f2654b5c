import { useSyncExternalStore } from 'react';
import { StopButton, useModelStream, type Protocol } from '../src/index';
import type { Message } from '../src/store/index';
import { findFixture, getFixture, type Transcript } from './mocks/fixtures';
import { mockModelServer, type CancelBehaviour } from './mocks/mockModelServer';
import './ChatDemo.css';

export type ChatDemoProps = {
  /** The wire format the mock server streams (and the hook is told to decode). */
  protocol: Protocol;
  /** Which recorded answer to replay; plain text and NDJSON only have `text-usage`. */
  transcript: Transcript;
  /** Milliseconds between two events of the replay. */
  pace: number;
  /** Pause the replay after this many events (the model "thinking"); empty plays to the end. */
  stallAfter?: number;
  /** How the cancel endpoint answers; `none` leaves `cancelApi` out (Stop then only aborts locally). */
  cancel: CancelBehaviour | 'none';
  /** How long a `slow` cancel takes, in ms. */
  cancelDelayMs: number;
  /** `useModelStream`'s bound on the server cancel. */
  cancelTimeoutMs: number;
  /** An HTTP status for the stream request; anything but 200 answers that error instead of streaming. */
  httpStatus: 200 | 429 | 500 | 503;
  /** What the user asks. */
  prompt: string;
};

function incompleteLabel(incomplete: NonNullable<Message['incomplete']>): string {
  switch (incomplete.reason) {
    case 'cancelled':
      return incomplete.serverConfirmed ? 'Stopped · server confirmed' : 'Stopped · the server did not confirm';
    case 'disconnected':
      return 'Disconnected';
    case 'error':
      return 'Failed';
    case 'length':
      return 'Cut off (length)';
    case 'content-filter':
      return 'Filtered';
  }
}

function formatArgs(args: unknown): string {
  return args === undefined ? '—' : JSON.stringify(args);
}

/** What the mock server did with this stream, next to what the client shows. */
function MockServerPanel({ streamId }: { streamId: string | null }) {
  const record = useSyncExternalStore(mockModelServer.subscribe, () => mockModelServer.get(streamId));
  if (!record) return null;
  return (
    <aside className="rms-server" aria-label="Mock server" data-testid="server" data-state={record.state} data-sent={record.sent}>
      <strong>Mock server</strong> {record.sent}/{record.total} events sent · {record.state}
      {record.cancel !== 'none' && (
        <>
          {' '}
          · cancel: {record.cancel}
          {record.cancelRequests > 1 && ` (${record.cancelRequests} requests)`}
        </>
      )}
      {record.sentAfterCancelRequest > 0 && <> · {record.sentAfterCancelRequest} sent after the cancel arrived</>}
      {record.terminal && <> · ended with {record.terminal}</>}
    </aside>
  );
}

/**
 * A small chat built on `useModelStream` and `StopButton`, talking to the mock model server
 * (MSW). It shows everything the hook exposes: status, reasoning, text, tool calls (raw argument
 * text, partial parsed arguments, state), usage, the incomplete mark and the error.
 */
export function ChatDemo({ protocol, transcript, pace, stallAfter, cancel, cancelDelayMs, cancelTimeoutMs, httpStatus, prompt }: ChatDemoProps) {
  const fixture = findFixture(protocol, transcript) ?? getFixture(`${protocol}/text-usage`);
  const query = new URLSearchParams({ fixture: fixture.id, pace: String(pace), status: String(httpStatus) });
  if (stallAfter !== undefined) query.set('stallAfter', String(stallAfter));
  const cancelQuery = new URLSearchParams({ behaviour: cancel, delayMs: String(cancelDelayMs) });

  const chat = useModelStream({
    api: `/api/chat?${query}`,
    cancelApi: cancel === 'none' ? undefined : `/api/cancel?${cancelQuery}`,
    protocol,
    cancelTimeoutMs,
  });
  const { message, usage } = chat;
  const busy = chat.status === 'connecting' || chat.status === 'streaming' || chat.status === 'stopping';

  return (
    <section className="rms-demo" aria-label="Chat">
      <p className="rms-source">
        {protocol} · <code>{fixture.source}</code>
        {fixture.transcript !== transcript && <em> (no {transcript} transcript for {protocol})</em>}
      </p>
      <div className="rms-bar">
        <span className="rms-prompt">{prompt}</span>
        <button type="button" className="rms-ask" disabled={busy} onClick={() => void chat.start(prompt)}>
          Ask
        </button>
        <StopButton stream={chat} className="rms-stop" />
      </div>

      <p className="rms-status">
        status <output data-testid="status">{chat.status}</output>
        {message?.incomplete && (
          <span
            className="rms-badge"
            role="status"
            data-testid="incomplete"
            data-reason={message.incomplete.reason}
            data-server-confirmed={String(message.incomplete.serverConfirmed ?? '')}
          >
            {incompleteLabel(message.incomplete)}
          </span>
        )}
      </p>

      {chat.reasoning && (
        <details className="rms-reasoning" open>
          <summary>Reasoning</summary>
          <p data-testid="reasoning">{chat.reasoning}</p>
        </details>
      )}

      <p className="rms-text" data-testid="text" aria-live="polite">
        {chat.text}
      </p>

      {chat.toolCalls.length > 0 && (
        <ul className="rms-tools" aria-label="Tool calls">
          {chat.toolCalls.map((call) => (
            <li key={call.id} data-testid="tool-call" data-state={call.state}>
              <code>{call.name}</code> <span className="rms-tool-state">{call.state}</span>
              <pre data-testid="args-text">{call.argsText}</pre>
              <pre data-testid="args">{formatArgs(call.args)}</pre>
            </li>
          ))}
        </ul>
      )}

      {usage && (
        <p className="rms-usage" data-testid="usage" data-estimated={String(usage.estimated === true)}>
          {usage.inputTokens ?? '?'} in / {usage.outputTokens ?? '?'} out{usage.estimated && ' (estimated)'}
        </p>
      )}

      {chat.error && (
        <p className="rms-error" role="alert" data-testid="error">
          {chat.error.name}: {chat.error.message}
        </p>
      )}

      <MockServerPanel streamId={chat.streamId} />
    </section>
  );
}

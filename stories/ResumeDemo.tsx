import { useSyncExternalStore } from 'react';
import { StopButton, useModelStream, type Protocol } from '../src/index';
import { resumeServer } from './mocks/resumeServer';
import './ChatDemo.css';

export type ResumeDemoProps = {
  /** The wire format the model streams. */
  protocol: Protocol;
  /** Milliseconds between two tokens of the fake model. */
  pace: number;
  /** The first wait before a resume request, in ms (it doubles on each failed attempt). */
  reconnectDelayMs: number;
  /** The resume endpoint answers 404, as for a stream past its log's lifetime. */
  expired: boolean;
  /** What the user asks. */
  prompt: string;
};

/**
 * `useModelStream` with `resumeApi` against a resumable server made of the library's own helpers
 * (MSW, `stories/mocks/resumeServer.ts`). "Drop the connection" ends the answer the page is
 * reading: the hook goes `reconnecting`, asks the resume endpoint for the rest and goes on, and
 * Stop still stops the model.
 */
export function ResumeDemo({ protocol, pace, reconnectDelayMs, expired, prompt }: ResumeDemoProps) {
  const chat = useModelStream({
    api: `/api/resumable/chat?protocol=${protocol}&pace=${pace}`,
    cancelApi: '/api/resumable/cancel',
    resumeApi: expired ? '/api/resumable/expired' : '/api/resumable/resume',
    protocol,
    reconnect: { minDelayMs: reconnectDelayMs, maxDelayMs: reconnectDelayMs * 4 },
  });
  const resumeRequests = useSyncExternalStore(resumeServer.subscribe, resumeServer.resumeRequests);
  const live = chat.status === 'connecting' || chat.status === 'streaming' || chat.status === 'reconnecting' || chat.status === 'stopping';
  const { incomplete } = chat.message ?? {};

  return (
    <section className="rms-demo" aria-label="Chat">
      <div className="rms-bar">
        <span className="rms-prompt">{prompt}</span>
        <button type="button" className="rms-ask" disabled={live} onClick={() => void chat.start(prompt)}>
          Ask
        </button>
        <button type="button" disabled={chat.status !== 'streaming'} onClick={() => resumeServer.drop()}>
          Drop the connection
        </button>
        <StopButton stream={chat} className="rms-stop" />
      </div>
      <p className="rms-status">
        status <output data-testid="status" data-status={chat.status}>{chat.status}</output> · resume requests <output data-testid="resumes">{resumeRequests}</output>
        {incomplete && (
          <span className="rms-badge" role="status" data-testid="incomplete" data-reason={incomplete.reason} data-server-confirmed={String(incomplete.serverConfirmed ?? '')}>
            {incomplete.reason}
            {incomplete.reason === 'cancelled' && (incomplete.serverConfirmed ? ' · server confirmed' : ' · the server did not confirm')}
          </span>
        )}
      </p>
      <p className="rms-text" data-testid="text" aria-live="polite">
        {chat.text}
      </p>
      {chat.toolCalls.map((call) => (
        <pre key={call.id} data-testid="args-text">
          {call.argsText}
        </pre>
      ))}
      {chat.error && (
        <p className="rms-error" role="alert" data-testid="error">
          {chat.error.name}: {chat.error.message}
        </p>
      )}
    </section>
  );
}

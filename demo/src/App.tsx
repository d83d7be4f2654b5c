import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { PROTOCOLS, StopButton, useModelStream, type Protocol } from '../../src/index';
import { createMessageStore, getConversationMessages, type Message, type MessageStoreState } from '../../src/store/index';
import { ToolLoop } from './ToolLoop';

declare global {
  interface Window {
    /** Injected by demo/server.mjs: the port of the second origin that serves the cancel endpoint. */
    __DEMO__?: { cancelPort?: number | null };
  }
}

// ---- configuration (URL query parameters, all optional) ---------------------------------------
// ?cancelTimeoutMs=1000   bound on the server cancel (the library's default is 3000)
// ?tps=20                 initial pace of the fake model, tokens per second
// ?protocol=anthropic     initial wire format
// ?cancelOrigin=same      send cancels to the page's own origin instead of the second one
// ?lanes=6                open the "Parallel streams" panel with this many lanes preset
// ?tools=1               open the "Tool run" panel (a two-step run with an approval; docs/tools.md)
// ?resume=0              no resume: a dropped connection or a reload leaves the answer disconnected
// ?registry=unshared      send cancels to an endpoint whose registry does not know the streams (as a
//                         second instance or an Edge isolate with the in-memory registry would):
//                         Stop then says "server did not confirm", and why

const params = new URLSearchParams(window.location.search);
const numberParam = (name: string): number | undefined => {
  const value = params.get(name);
  const parsed = value === null || value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
};
const cancelTimeoutMs = numberParam('cancelTimeoutMs');
const initialTps = numberParam('tps') ?? 20;
const initialProtocol: Protocol = PROTOCOLS.includes(params.get('protocol') as Protocol) ? (params.get('protocol') as Protocol) : 'ai-sdk';
const initialLanes = Math.min(8, Math.max(0, Math.round(numberParam('lanes') ?? 0)));
const toolsOpen = params.get('tools') === '1';
const cancelPort = window.__DEMO__?.cancelPort;
const useSeparateCancelOrigin = params.get('cancelOrigin') !== 'same' && typeof cancelPort === 'number';
/** Over HTTP/1.1 the browser opens at most 6 connections per host: cancels go to a second origin (see demo/server.mjs). */
/** Resume (docs/resume.md): on by default; `?resume=0` shows the page without it. */
const resumeOn = params.get('resume') !== '0';
const resumeApi = resumeOn ? '/api/chat/resume' : undefined;
const cancelApi =
  (useSeparateCancelOrigin ? `${window.location.protocol}//${window.location.hostname}:${cancelPort}/api/chat/cancel` : '/api/chat/cancel') +
  (params.get('registry') === 'unshared' ? '?registry=unshared' : '');

// One persisted store for the page: reload mid-stream and the answer resumes where it was (or,
// with `?resume=0` or once the stream's log expired, comes back marked "disconnected").
const store = createMessageStore({ persist: { name: 'react-model-stream-demo' } });

function newConversation() {
  return store.getState().createConversation({ title: `Conversation ${Object.keys(store.getState().conversations).length + 1}` }).id;
}

const REASON_LABEL: Record<string, string> = {
  cancelled: 'Stopped',
  disconnected: 'Disconnected',
  error: 'Error',
  length: 'Cut at the length limit',
  'content-filter': 'Filtered',
};
const REASON_IN_LIST: Record<string, string> = {
  cancelled: 'stopped',
  disconnected: 'disconnected',
  error: 'failed',
  length: 'cut',
  'content-filter': 'filtered',
};

function IncompleteBadge({ incomplete }: { incomplete: Message['incomplete'] }) {
  if (!incomplete) return null;
  const { reason, serverConfirmed, error } = incomplete;
  return (
    <span className={`badge badge-${reason}`} data-testid="incomplete-badge" data-reason={reason} data-server-confirmed={serverConfirmed === undefined ? undefined : String(serverConfirmed)}>
      {REASON_LABEL[reason] ?? reason}
      {reason === 'cancelled' ? (serverConfirmed ? ' · server confirmed' : ' · server did not confirm') : ''}
      {error ? ` · ${error}` : ''}
    </span>
  );
}

function Spinner({ label }: { label: string }) {
  return <span className="spinner" role="progressbar" aria-label={label} data-testid="spinner" />;
}

function MessageView({ message }: { message: Message }) {
  const live = message.status === 'streaming' || message.status === 'stopping';
  return (
    <article className={`message message-${message.role}`} data-testid={`message-${message.role}`} data-status={message.status} data-stream-id={message.streamId}>
      <header>
        <strong>{message.role === 'user' ? 'You' : 'Model'}</strong>{' '}
        {live && <Spinner label={message.status === 'stopping' ? 'Stopping' : 'Answer streaming'} />}{' '}
        {message.status === 'incomplete' && <IncompleteBadge incomplete={message.incomplete} />}
      </header>
      {message.reasoning && (
        <details className="reasoning">
          <summary>Reasoning</summary>
          <p>{message.reasoning}</p>
        </details>
      )}
      <p className="text" data-testid="message-text">
        {message.text}
      </p>
      {message.toolCalls.map((call) => (
        <div key={call.id} className="tool-call" data-testid="tool-call" data-state={call.state}>
          <div>
            <code>{call.name}</code> <span className={`badge badge-tool-${call.state}`}>{call.state}</span>
          </div>
          <div className="args">
            <figure>
              <figcaption>Arguments as streamed</figcaption>
              <pre className="args-text" data-testid="tool-args-text">
                {call.argsText}
              </pre>
            </figure>
            <figure>
              <figcaption>Parsed so far (partial JSON)</figcaption>
              <pre className="args-parsed">{JSON.stringify(call.args, null, 2)}</pre>
            </figure>
          </div>
        </div>
      ))}
      {message.usage && (
        <footer className="usage">
          {message.usage.inputTokens ?? '?'} in · {message.usage.outputTokens ?? '?'} out{message.usage.estimated ? ' (estimated)' : ''}
        </footer>
      )}
    </article>
  );
}

/** "cancelled:1,disconnected:2": a primitive, so the selector re-renders only when a count changes. */
function incompleteSummary(state: MessageStoreState, conversationId: string): string {
  const counts = new Map<string, number>();
  for (const id of state.conversations[conversationId]?.messageIds ?? []) {
    const message = state.messages[id];
    if (message?.status === 'incomplete' && message.incomplete) counts.set(message.incomplete.reason, (counts.get(message.incomplete.reason) ?? 0) + 1);
  }
  return [...counts].map(([reason, n]) => `${reason}:${n}`).join(',');
}

function ConversationItem({ id, title, current, onSelect }: { id: string; title: string; current: boolean; onSelect: (id: string) => void }) {
  const summary = useStore(store, (s) => incompleteSummary(s, id));
  return (
    <li className={current ? 'current' : ''} data-testid="conversation" aria-current={current ? 'true' : undefined}>
      <button type="button" onClick={() => onSelect(id)}>
        {title}
      </button>{' '}
      {summary &&
        summary.split(',').map((entry) => {
          const [reason = '', n] = entry.split(':');
          return (
            <span key={reason} className={`badge badge-${reason}`} data-testid="conversation-badge" data-reason={reason}>
              {n} {REASON_IN_LIST[reason] ?? reason}
            </span>
          );
        })}
    </li>
  );
}

function ConversationList({ current, onSelect }: { current: string; onSelect: (id: string) => void }) {
  const conversations = useStore(store, (s) => s.conversations);
  return (
    <ul data-testid="conversation-list">
      {Object.values(conversations).map((c) => (
        <ConversationItem key={c.id} id={c.id} title={c.title ?? c.id.slice(0, 8)} current={c.id === current} onSelect={onSelect} />
      ))}
    </ul>
  );
}

// ---- parallel streams -----------------------------------------------------------------------

type LaneSettings = { protocol: Protocol; tokensPerSecond: number };

/** One of N streams opened at once: hook-local (not in the store), with its own Stop. */
function Lane({ index, generation, settings }: { index: number; generation: number; settings: LaneSettings }) {
  const chat = useModelStream({
    api: '/api/chat',
    cancelApi,
    cancelTimeoutMs,
    // 'auto' on purpose: six lanes over HTTP/1.1 take all six connections, so a lane that is not
    // alone loads every decoder before its request (docs/size.md, "The browser's connection pool");
    // e2e "Six streams" covers it.
    body: (input) => ({ input, protocol: settings.protocol, tokensPerSecond: settings.tokensPerSecond }),
  });
  // Started from an effect keyed by the generation; the ref keeps StrictMode's second effect run
  // from starting (and so cancelling) a second stream.
  const started = useRef(0);
  useEffect(() => {
    if (started.current === generation) return;
    started.current = generation;
    void chat.start(`Lane ${index + 1}: give me a coffee tip`);
  }, [generation, index, chat.start]);

  // How long Stop took, click → the stream ended (shown, and read by the e2e tests).
  const stopClickedAt = useRef<number | null>(null);
  const [stopMs, setStopMs] = useState<number | null>(null);
  const ended = chat.status === 'complete' || chat.status === 'incomplete';
  useEffect(() => {
    if (ended && stopClickedAt.current !== null && stopMs === null) setStopMs(Math.round(performance.now() - stopClickedAt.current));
  }, [ended, stopMs]);

  const shown = chat.text || chat.reasoning;
  /** Everything received so far (reasoning, text, tool arguments): grows while the model streams. */
  const chars = chat.reasoning.length + chat.text.length + chat.toolCalls.reduce((sum, call) => sum + call.argsText.length, 0);
  return (
    <li className="lane" data-testid="lane" data-index={index} data-status={chat.status} data-stream-id={chat.streamId ?? undefined} data-chars={chars}>
      <div className="lane-head">
        <strong>#{index + 1}</strong>
        <span className="lane-status">{chat.status}</span>
        {(chat.status === 'streaming' || chat.status === 'connecting' || chat.status === 'stopping') && <Spinner label={`Lane ${index + 1} streaming`} />}
        <StopButton
          stream={chat}
          className="stop"
          data-testid="lane-stop"
          aria-label={`Stop lane ${index + 1}`}
          onClick={() => {
            stopClickedAt.current = performance.now();
          }}
        >
          Stop
        </StopButton>
      </div>
      {/* The reasoning until the text starts; the end of a long text. */}
      <p className={chat.text ? 'lane-text' : 'lane-text lane-reasoning'} data-testid="lane-text" data-length={shown.length}>
        {shown.length > 140 ? `…${shown.slice(-140)}` : shown}
      </p>
      {chat.message?.incomplete && <IncompleteBadge incomplete={chat.message.incomplete} />}
      {stopMs !== null && (
        <small className="lane-timing" data-testid="lane-stop-ms" data-ms={stopMs}>
          {' '}
          ended {stopMs} ms after Stop
        </small>
      )}
    </li>
  );
}

function ParallelStreams({ settings }: { settings: LaneSettings }) {
  const [count, setCount] = useState(initialLanes || 6);
  const [lanes, setLanes] = useState<{ count: number; generation: number } | null>(null);
  return (
    <details className="parallel" open={initialLanes > 0} data-testid="parallel">
      <summary>Parallel streams</summary>
      <p className="note">
        Over HTTP/1.1 a browser opens at most <strong>6 connections per host</strong>. With six streams open, a Stop whose
        cancel request goes to the same host waits for one of them to end. This demo sends cancels to{' '}
        {useSeparateCancelOrigin ? (
          <>
            a second origin (<code>:{cancelPort}</code>), which has its own connection pool
          </>
        ) : (
          <>
            the page's own origin (<code>?cancelOrigin=same</code>): try Stop with six lanes open
          </>
        )}
        .
      </p>
      <div className="controls">
        <label>
          Streams{' '}
          <input aria-label="Number of streams" type="number" min={1} max={8} value={count} onChange={(e) => setCount(Math.min(8, Math.max(1, Number(e.target.value) || 1)))} />
        </label>
        <button type="button" data-testid="open-lanes" onClick={() => setLanes((previous) => ({ count, generation: (previous?.generation ?? 0) + 1 }))}>
          Open {count} streams at once
        </button>
        {lanes && (
          <button type="button" onClick={() => setLanes(null)}>
            Close them
          </button>
        )}
      </div>
      {lanes && (
        <ol className="lanes" data-testid="lanes">
          {Array.from({ length: lanes.count }, (_, i) => (
            <Lane key={`${lanes.generation}-${i}`} index={i} generation={lanes.generation} settings={settings} />
          ))}
        </ol>
      )}
    </details>
  );
}

// ---- the page -------------------------------------------------------------------------------

export function App() {
  const [conversationId, setConversationId] = useState(() => Object.keys(store.getState().conversations).at(-1) ?? newConversation());
  const messages = useStore(store, (s) => getConversationMessages(s, conversationId));
  const [protocol, setProtocol] = useState<Protocol>(initialProtocol);
  const [tokensPerSecond, setTokensPerSecond] = useState(initialTps);
  const [prompt, setPrompt] = useState('Give me a coffee tip');

  const chat = useModelStream({
    api: '/api/chat',
    cancelApi,
    resumeApi,
    cancelTimeoutMs,
    store,
    conversationId,
    body: (input, { messages: history }) => ({
      input,
      protocol,
      tokensPerSecond,
      resume: resumeOn,
      messages: history.map((m) => ({ role: m.role, content: m.text })),
    }),
  });

  const busy = chat.status === 'connecting' || chat.status === 'streaming' || chat.status === 'reconnecting' || chat.status === 'stopping';
  const [drops, setDrops] = useState(0);
  /** The network blinks: the server destroys this stream's connection mid-answer (demo/server.mjs). */
  const dropConnection = async () => {
    if (!chat.streamId) return;
    await fetch(`/api/chat/drop?streamId=${encodeURIComponent(chat.streamId)}`, { method: 'POST' });
    setDrops((n) => n + 1);
  };

  return (
    <div className="layout">
      <aside>
        <h2>Conversations</h2>
        <button type="button" onClick={() => setConversationId(newConversation())}>
          New conversation
        </button>
        <ConversationList current={conversationId} onSelect={setConversationId} />
      </aside>
      <main>
        <h1>react-model-stream</h1>
        <section className="messages" aria-live="polite" data-testid="messages">
          {messages.map((m) => (
            <MessageView key={m.id} message={m} />
          ))}
        </section>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!busy && prompt.trim()) void chat.start(prompt);
          }}
        >
          <textarea aria-label="Prompt" data-testid="prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={2} />
          <div className="controls">
            <label>
              Protocol{' '}
              <select aria-label="Protocol" value={protocol} onChange={(e) => setProtocol(e.target.value as Protocol)}>
                {PROTOCOLS.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            </label>
            <label>
              Tokens/s{' '}
              <input aria-label="Tokens per second" type="number" min={1} max={1000} value={tokensPerSecond} onChange={(e) => setTokensPerSecond(Number(e.target.value))} />
            </label>
            <button type="submit" data-testid="send" disabled={busy}>
              Send
            </button>
            <StopButton stream={chat} className="stop" data-testid="stop">
              Stop
            </StopButton>
            {resumeOn && (
              <button type="button" data-testid="drop" disabled={chat.status !== 'streaming'} onClick={() => void dropConnection()} title="The server destroys this stream's connection mid-answer; the page resumes it">
                Drop the connection
              </button>
            )}
          </div>
        </form>
        <p className="status" data-testid="status" data-status={chat.status} data-drops={drops}>
          Status: {chat.status}
          {chat.status === 'reconnecting' && <Spinner label="Reconnecting" />}
          {chat.usage && ` · usage ${chat.usage.inputTokens ?? '?'} in / ${chat.usage.outputTokens ?? '?'} out${chat.usage.estimated ? ' (estimated)' : ''}`}
          {chat.error && ` · ${chat.error.message}`}
        </p>
        <ParallelStreams settings={{ protocol, tokensPerSecond }} />
        <details className="parallel" open={toolsOpen} data-testid="tool-run">
          <summary>Tool run</summary>
          <p className="note">
            Two steps: the model calls <code>get_weather</code> (runs 1.5 s here) and <code>delete_file</code> (waits for your
            Allow or Deny), then answers with the results. Stop stays enabled for the whole run and ends it wherever it is.
          </p>
          <ToolLoop api="/api/tools/chat" cancelApi={cancelApi} protocol={protocol} tokensPerSecond={tokensPerSecond} />
        </details>
      </main>
    </div>
  );
}

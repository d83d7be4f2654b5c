import { useState } from 'react';
import { useStore } from 'zustand';
import { PROTOCOLS, StopButton, useModelStream, type Protocol } from '../../src/index';
import { createMessageStore, getConversationMessages, type Message } from '../../src/store/index';

// One persisted store for the page: reload mid-stream and the message comes back marked
// "disconnected" instead of spinning.
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

function IncompleteBadge({ message }: { message: Message }) {
  if (message.status !== 'incomplete' || !message.incomplete) return null;
  const { reason, serverConfirmed, error } = message.incomplete;
  return (
    <span className={`badge badge-${reason}`} data-testid="incomplete-badge" data-reason={reason}>
      {REASON_LABEL[reason] ?? reason}
      {reason === 'cancelled' ? (serverConfirmed ? ' · server confirmed' : ' · server did not confirm') : ''}
      {error ? ` · ${error}` : ''}
    </span>
  );
}

function MessageView({ message }: { message: Message }) {
  return (
    <article className={`message message-${message.role}`} data-testid={`message-${message.role}`} data-status={message.status}>
      <header>
        <strong>{message.role === 'user' ? 'You' : 'Model'}</strong> <IncompleteBadge message={message} />
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
          <pre className="args-text">{call.argsText}</pre>
          <pre className="args-parsed">{JSON.stringify(call.args, null, 2)}</pre>
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

export function App() {
  const conversations = useStore(store, (s) => s.conversations);
  const [conversationId, setConversationId] = useState(() => Object.keys(store.getState().conversations).at(-1) ?? newConversation());
  const messages = useStore(store, (s) => getConversationMessages(s, conversationId));
  const [protocol, setProtocol] = useState<Protocol>('ai-sdk');
  const [tokensPerSecond, setTokensPerSecond] = useState(20);
  const [prompt, setPrompt] = useState('Give me a coffee tip');

  const chat = useModelStream({
    api: '/api/chat',
    cancelApi: '/api/chat/cancel',
    store,
    conversationId,
    body: (input, { messages: history }) => ({
      input,
      protocol,
      tokensPerSecond,
      messages: history.map((m) => ({ role: m.role, content: m.text })),
    }),
  });

  const busy = chat.status === 'connecting' || chat.status === 'streaming' || chat.status === 'stopping';

  return (
    <div className="layout">
      <aside>
        <h2>Conversations</h2>
        <button type="button" onClick={() => setConversationId(newConversation())}>
          New conversation
        </button>
        <ul data-testid="conversation-list">
          {Object.values(conversations).map((c) => {
            const incomplete = c.messageIds.filter((id) => store.getState().messages[id]?.status === 'incomplete').length;
            return (
              <li key={c.id} className={c.id === conversationId ? 'current' : ''}>
                <button type="button" onClick={() => setConversationId(c.id)}>
                  {c.title ?? c.id.slice(0, 8)}
                </button>{' '}
                {incomplete > 0 && <span className="badge badge-cancelled">{incomplete} incomplete</span>}
              </li>
            );
          })}
        </ul>
      </aside>
      <main>
        <h1>react-model-stream</h1>
        <section className="messages" aria-live="polite">
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
          <textarea aria-label="Prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={2} />
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
            <button type="submit" disabled={busy}>
              Send
            </button>
            <StopButton stream={chat} className="stop">
              Stop
            </StopButton>
          </div>
        </form>
        <p className="status" data-testid="status" data-status={chat.status}>
          Status: {chat.status}
          {chat.usage && ` · usage ${chat.usage.inputTokens ?? '?'} in / ${chat.usage.outputTokens ?? '?'} out${chat.usage.estimated ? ' (estimated)' : ''}`}
          {chat.error && ` · ${chat.error.message}`}
        </p>
      </main>
    </div>
  );
}

import { useState } from 'react';
import { StopButton, useConversationMessages, useModelStream } from 'react-model-stream';
import { createMessageStore } from 'react-model-stream/store';

// The conversation, persisted to localStorage: after a reload every turn is back, with its mark.
const store = createMessageStore({ persist: { name: 'chat-example' } });

export function Chat() {
  const [prompt, setPrompt] = useState('Give me a coffee tip');
  const chat = useModelStream({
    api: '/api/chat', // proxied to server.mjs (vite.config.js)
    cancelApi: '/api/chat/cancel',
    store,
    conversationId: 'main',
    body: (input, { messages }) => ({ input, messages }),
  });
  const messages = useConversationMessages(store, 'main');
  const busy = chat.status === 'connecting' || chat.status === 'streaming' || chat.status === 'stopping';

  return (
    <main>
      <ol className="turns">
        {messages.map((message) => (
          <Turn key={message.id} message={message} />
        ))}
      </ol>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void chat.start(prompt);
        }}
      >
        <input aria-label="Message" value={prompt} onChange={(event) => setPrompt(event.target.value)} />
        <button type="submit" disabled={busy}>
          Send
        </button>
        <StopButton stream={chat} className="stop">
          {chat.status === 'stopping' ? 'Stopping…' : 'Stop'}
        </StopButton>
      </form>
    </main>
  );
}

function Turn({ message }) {
  return (
    <li className="turn" data-role={message.role} data-status={message.status}>
      <strong>{message.role === 'user' ? 'You' : 'Model'}</strong> <Mark message={message} />
      <p>{message.text}</p>
      {message.toolCalls.map((call) => (
        <pre key={call.id}>
          {call.name}({JSON.stringify(call.args)}) {call.state}
        </pre>
      ))}
      {message.usage && (
        <small>
          {message.usage.inputTokens ?? '?'} in / {message.usage.outputTokens ?? '?'} out
          {message.usage.estimated && ' (estimated)'}
        </small>
      )}
    </li>
  );
}

function Mark({ message }) {
  if (message.status === 'streaming' || message.status === 'stopping') return <span className="mark">{message.status}…</span>;
  const incomplete = message.incomplete;
  if (message.status !== 'incomplete' || !incomplete) return null;
  const label =
    incomplete.reason === 'cancelled'
      ? `Stopped · ${incomplete.serverConfirmed ? 'server confirmed' : 'server did not confirm'}`
      : incomplete.reason === 'disconnected'
        ? 'Disconnected'
        : `Incomplete: ${incomplete.reason}${incomplete.error ? ` (${incomplete.error})` : ''}`;
  return (
    <span className="mark" data-reason={incomplete.reason}>
      {label}
    </span>
  );
}

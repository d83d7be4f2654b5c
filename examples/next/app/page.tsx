'use client';
import { useState } from 'react';
import { StopButton, useConversationMessages, useModelStream } from 'react-model-stream';
import { createMessageStore, type Message } from 'react-model-stream/store';

// The conversation, persisted to localStorage: after a reload every turn is back, with its mark
// (an answer a reload cut comes back "disconnected", never spinning).
const store = createMessageStore({ persist: { name: 'chat-example' } });

export default function ChatPage() {
  const [prompt, setPrompt] = useState('Give me a coffee tip');
  const chat = useModelStream({
    api: '/api/chat',
    cancelApi: '/api/chat/cancel', // Stop really stops the model on the server
    store,
    conversationId: 'main',
    // The stored turns go to the route, which turns them into the provider's history.
    body: (input, { messages }) => ({ input, messages }),
  });
  // Every turn of the conversation, the streaming one included (chat.text is only the current one).
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
        {/* Headless: give it a label and styles (data-state is idle, streaming or stopping). */}
        <StopButton stream={chat} className="stop">
          {chat.status === 'stopping' ? 'Stopping…' : 'Stop'}
        </StopButton>
      </form>
    </main>
  );
}

function Turn({ message }: { message: Message }) {
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

/** How the turn ended, when it did not end complete. */
function Mark({ message }: { message: Message }) {
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

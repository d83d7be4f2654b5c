import { useState } from 'react';
import { StopButton, useModelStream } from 'react-model-stream';

export function Chat() {
  const [prompt, setPrompt] = useState('');
  const chat = useModelStream({ api: '/api/chat', cancelApi: '/api/chat/cancel' });
  const incomplete = chat.message?.incomplete;

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void chat.start(prompt);
      }}
    >
      <input aria-label="Message" value={prompt} onChange={(event) => setPrompt(event.target.value)} />
      <button type="submit" disabled={chat.status === 'connecting' || chat.status === 'streaming'}>
        Send
      </button>
      <StopButton stream={chat} />
      <p data-testid="answer">{chat.text}</p>
      {incomplete && (
        <p role="status">
          {incomplete.reason === 'cancelled' ? 'Stopped' : incomplete.reason}
          {incomplete.serverConfirmed && ' · server confirmed'}
        </p>
      )}
    </form>
  );
}

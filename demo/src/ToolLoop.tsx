import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { StopButton, useModelStream, type Protocol } from '../../src/index';
import { createMessageStore, getConversationMessages, toModelMessages, type Message, type ModelMessageFormat } from '../../src/store/index';
import { createDemoTools, type ToolReport } from './createDemoTools';
import { ToolLoopMessage } from './ToolLoopMessage';

export type ToolLoopProps = {
  /** The route that answers with the scripted tool run (demo/api.ts `toolChat`, or the stories' MSW handler). */
  api: string;
  cancelApi?: string;
  /** The wire format the fake model speaks. */
  protocol?: Protocol;
  tokensPerSecond?: number;
  /** How long `get_weather` runs on the client. */
  weatherMs?: number;
  /** The history shape the requests carry (`toModelMessages`' format); the fake model reads all three. */
  initialFormat?: ModelMessageFormat;
};

const FORMATS: ModelMessageFormat[] = ['openai-chat', 'openai-responses', 'anthropic'];

/** The whole history of a step's request, the user's new turn included at step 1, in `format`'s shape. */
function historyBody(format: ModelMessageFormat, input: string, messages: readonly Message[], step: number) {
  const history: unknown[] = toModelMessages(messages, { format });
  if (step === 1) history.push(format === 'anthropic' ? { role: 'user', content: [{ type: 'text', text: input }] } : { role: 'user', content: input });
  return format === 'openai-responses' ? { input: history } : { messages: history };
}

/**
 * The demo's tool run (docs/tools.md): one question, a step that calls `get_weather` (runs 1.5 s on
 * the client) and `delete_file` (waits for Allow / Deny), then a step that answers with the
 * results. Each step's message is shown with its calls and their execution; Stop stays enabled for
 * the whole run and ends it wherever it is.
 */
export function ToolLoop({ api, cancelApi, protocol = 'ai-sdk', tokensPerSecond = 20, weatherMs = 1500, initialFormat = 'openai-chat' }: ToolLoopProps) {
  // A store of its own (in memory): the panel's runs stay out of the page's conversations.
  const [store] = useState(() => createMessageStore());
  const [conversationId] = useState(() => store.getState().createConversation({ title: 'Tool run' }).id);
  const [format, setFormat] = useState(initialFormat);
  const [reports, setReports] = useState<Record<string, ToolReport>>({});
  const tools = useMemo(() => createDemoTools((id, what) => setReports((previous) => ({ ...previous, [id]: what })), weatherMs), [weatherMs]);
  const chat = useModelStream({
    api,
    cancelApi,
    store,
    conversationId,
    tools,
    maxSteps: 4,
    // Named: its decoder's chunk loads with the session, in parallel with the request (the chat
    // and the lanes stay on 'auto', so the e2e runs cover both paths).
    protocol,
    body: (input, { messages, step }) => ({ protocol, tokensPerSecond, step, ...historyBody(format, input, messages, step) }),
  });
  const messages = useStore(store, (s) => getConversationMessages(s, conversationId));
  const running = chat.status === 'connecting' || chat.status === 'streaming' || chat.status === 'reconnecting' || chat.status === 'stopping' || chat.status === 'tools';
  let step = 0;

  return (
    <div className="tool-loop" data-testid="tool-loop">
      <div className="controls">
        <label>
          History format{' '}
          <select aria-label="History format" value={format} onChange={(e) => setFormat(e.target.value as ModelMessageFormat)}>
            {FORMATS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        <button type="button" data-testid="loop-send" disabled={running} onClick={() => void chat.start('What is the weather in Genève? And delete my old draft.')}>
          Ask (weather + delete a file)
        </button>
        <StopButton stream={chat} className="stop" data-testid="loop-stop" aria-label="Stop the tool run">
          Stop
        </StopButton>
        <span className="status" data-testid="loop-status" data-status={chat.status}>
          Status: {chat.status}
        </span>
      </div>
      <ol className="tool-loop-messages">
        {messages.map((m) => {
          step = m.role === 'user' ? 0 : step + 1;
          return <ToolLoopMessage key={m.id} message={m} step={step} reports={reports} actions={chat} />;
        })}
      </ol>
    </div>
  );
}

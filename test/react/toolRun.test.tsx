// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { StopButton, useModelStream, type UseModelStreamOptions, type UseModelStreamResult } from '../../src/index';
import { createMessageStore, toModelMessages } from '../../src/store/index';
import { startToolServer, toolResults, type ToolRequest } from '../turns/toolServer';
import { failOnConsole, WAIT } from './setup';

// A tool run through the hook and StopButton against a real local server (handleModelStream over
// the fake model, handleCancel): the button stays enabled while a tool runs or awaits approval
// (status `tools`), and one click ends the run. Without React: test/turns/toolRun.test.ts.

failOnConsole();

let app: Awaited<ReturnType<typeof startToolServer>> | null = null;
afterEach(async () => {
  cleanup();
  await app?.close();
  app = null;
});

const model = (body: ToolRequest) =>
  body.step === 1 ? { toolCalls: [{ id: 'call_w', name: 'weather', args: { city: 'Genève' } }] } : { text: `Done: ${JSON.stringify(toolResults(body))}` };

function renderChat(options: Omit<UseModelStreamOptions, 'api'>) {
  const handle = { current: null as unknown as UseModelStreamResult };
  function Chat() {
    const chat = useModelStream({
      api: `${app!.url}/stream`,
      cancelApi: `${app!.url}/cancel`,
      body: (input, { messages, step }) => ({ input, step, messages: toModelMessages(messages, { format: 'openai-chat' }) }),
      ...options,
    });
    handle.current = chat;
    return (
      <div>
        <p data-testid="status">{chat.status}</p>
        <p data-testid="execution">{chat.message?.toolCalls[0]?.execution?.state ?? ''}</p>
        <StopButton stream={chat} />
      </div>
    );
  }
  render(<Chat />);
  return handle;
}

describe('tool runs through useModelStream and StopButton', () => {
  it('StopButton is enabled while a tool runs; a click aborts the tool’s signal and ends the run (no next step)', async () => {
    app = await startToolServer(model);
    let signal: AbortSignal | undefined;
    const store = createMessageStore();
    const chat = renderChat({
      store,
      tools: {
        weather: (_args, context) =>
          new Promise((_resolve, reject) => {
            signal = context.signal;
            context.signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      },
    });
    let done!: ReturnType<UseModelStreamResult['start']>;
    act(() => void (done = chat.current.start('weather')));
    await waitFor(() => expect(screen.getByTestId('execution').textContent).toBe('running'), WAIT);
    expect(screen.getByTestId('status').textContent).toBe('tools');
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button).toHaveProperty('disabled', false);
    expect(button.getAttribute('data-state')).toBe('streaming');

    await userEvent.click(button);
    const final = await act(() => done);
    expect(final).toMatchObject({ status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    expect(signal!.aborted).toBe(true);
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('incomplete'), WAIT);
    expect(screen.getByTestId('execution').textContent).toBe('cancelled');
    expect(button).toHaveProperty('disabled', true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.requests).toHaveLength(1);
  });

  it('approval through the hook: the button stays enabled while the call awaits it; approveToolCall runs it and the next step completes', async () => {
    app = await startToolServer(model);
    const store = createMessageStore();
    const chat = renderChat({ store, tools: { weather: { execute: () => 'sunny', needsApproval: true } } });
    let done!: ReturnType<UseModelStreamResult['start']>;
    act(() => void (done = chat.current.start('weather')));
    await waitFor(() => expect(screen.getByTestId('execution').textContent).toBe('awaiting-approval'), WAIT);
    expect(screen.getByRole('button', { name: 'Stop generating' })).toHaveProperty('disabled', false);
    act(() => chat.current.approveToolCall('call_w'));
    const final = await act(() => done);
    expect(final).toMatchObject({ status: 'complete', text: 'Done: {"call_w":"sunny"}' });
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('complete'), WAIT);
    expect(screen.getByRole('button', { name: 'Stop generating' })).toHaveProperty('disabled', true);
  });
  it('addToolError answers a call the hook does not run with an error: the model reads it as one, the run completes', async () => {
    app = await startToolServer(model);
    const store = createMessageStore();
    // No `weather` in tools: a client-side tool the app answers itself (a UI tool, a native call).
    const chat = renderChat({ store, tools: {} });
    let done!: ReturnType<UseModelStreamResult['start']>;
    act(() => void (done = chat.current.start('weather')));
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('tools'), WAIT);
    expect(screen.getByTestId('execution').textContent).toBe('');
    act(() => chat.current.addToolError('call_w', new Error('Location permission denied')));
    const final = await act(() => done);
    expect(toolResults(app.requests[1]!)).toEqual({ call_w: 'Error: Location permission denied' });
    expect(final).toMatchObject({ status: 'complete', text: 'Done: {"call_w":"Error: Location permission denied"}' });
    const step1 = Object.values(store.getState().messages).find((m) => m.toolCalls[0]?.id === 'call_w');
    expect(step1!.toolCalls[0]!.execution).toEqual({ state: 'error', error: 'Location permission denied' });
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('complete'), WAIT);
  });
});

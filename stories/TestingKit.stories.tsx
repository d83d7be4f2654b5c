import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { StopButton, useModelStream } from '../src/index';
import { createMockModelServer } from '../src/testing/index';
import './ChatDemo.css';

/**
 * `react-model-stream/testing` in a browser: the same mock model server the Node tests use
 * (docs/testing.md), served by Storybook's MSW worker through `parameters.msw.handlers`. Each
 * story gets its own server, on its own paths.
 */
const SCRIPT = { text: 'Lyon is two hours from Geneva by train.', inputTokens: 12 };

function KitChat({ api, cancelApi }: { api: string; cancelApi: string }) {
  const [prompt, setPrompt] = useState('How far is Lyon?');
  const chat = useModelStream({ api, cancelApi });
  const incomplete = chat.message?.incomplete;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void chat.start(prompt);
      }}
    >
      <input aria-label="Message" value={prompt} onChange={(event) => setPrompt(event.target.value)} />
      <button type="submit">Send</button>
      <StopButton stream={chat} className="rms-stop" />
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

const stopModel = createMockModelServer({ api: '/api/kit/stop/chat', cancelApi: '/api/kit/stop/cancel', protocol: 'openai-chat', script: SCRIPT, faults: { stall: { afterTokens: 3 } } });
// Paced (20 ms a token): with no pace the drop can reach the page before the tokens that preceded it
// are read, and the browser then discards them with the failed response (seen once in CI).
const dropModel = createMockModelServer({ api: '/api/kit/drop/chat', cancelApi: '/api/kit/drop/cancel', protocol: 'anthropic', script: SCRIPT, pace: 20, faults: { drop: { afterTokens: 3 } } });

const meta = {
  title: 'Testing kit',
  component: KitChat,
} satisfies Meta<typeof KitChat>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The model stalls after three tokens; Stop goes through the kit's cancel endpoint and is confirmed. */
export const StopConfirmed: Story = {
  args: { api: stopModel.api, cancelApi: stopModel.cancelApi },
  parameters: { msw: { handlers: { kit: stopModel.handlers } } },
  beforeEach: () => stopModel.reset(),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(canvas.getByTestId('answer')).toHaveTextContent('Lyon is two'), { timeout: 5000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Stop generating' }));
    await waitFor(() => expect(canvas.getByRole('status')).toHaveTextContent('Stopped · server confirmed'), { timeout: 5000 });
    await expect(stopModel.cancels[0]?.answer).toMatchObject({ status: 'cancelled' });
    await expect(stopModel.requests[0]?.run).toMatchObject({ finished: false, tokensAfterAbort: 0 });
  },
};

/** The connection drops after three tokens: the answer is kept and marked "disconnected". */
export const Dropped: Story = {
  args: { api: dropModel.api, cancelApi: dropModel.cancelApi },
  parameters: { msw: { handlers: { kit: dropModel.handlers } } },
  beforeEach: () => dropModel.reset(),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(canvas.getByRole('status')).toHaveTextContent('disconnected'), { timeout: 5000 });
    await expect(canvas.getByTestId('answer')).toHaveTextContent('Lyon is two');
  },
};

import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor } from 'storybook/test';
import { PROTOCOLS, type Protocol } from '../src/index';
import { ChatDemo } from './ChatDemo';
import { getFixture } from './mocks/fixtures';
import { chatUi, latestStream, WAIT } from './play';

/**
 * The same answer in each of the six wire formats, replayed from `test/fixtures/` (NDJSON is the
 * Chat Completions transcript as openai-node writes it, one chunk per line). Each play function
 * lets the stream run to its end and checks the result against the transcript's
 * `*.expected.json`.
 */
const meta = {
  title: 'useModelStream/Wire formats',
  component: ChatDemo,
  args: {
    protocol: 'openai-chat',
    transcript: 'text-usage',
    pace: 40,
    cancel: 'confirm',
    cancelDelayMs: 1500,
    cancelTimeoutMs: 3000,
    httpStatus: 200,
    prompt: 'How do I make a better café au lait?',
  },
  argTypes: {
    protocol: { control: 'select', options: PROTOCOLS },
    pace: { control: { type: 'range', min: 0, max: 400, step: 10 } },
  },
} satisfies Meta<typeof ChatDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Runs the whole transcript and compares what the hook shows with the expected snapshot. */
function playsToTheEnd(protocol: Protocol): Story['play'] {
  return async ({ canvasElement }) => {
    const expected = getFixture(`${protocol}/text-usage`).expected;
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.status()).toHaveTextContent('complete'), WAIT);
    await expect(ui.text()).toBe(expected.text);
    await expect(ui.incomplete()).toBeNull();
    await expect(ui.error()).toBeNull();
    if (expected.usage) {
      await expect(ui.usage()).toHaveTextContent(`${expected.usage.inputTokens} in / ${expected.usage.outputTokens} out`);
      await expect(ui.usage()).toHaveAttribute('data-estimated', 'false');
    } else {
      await expect(ui.usage()).toBeNull();
    }
    await expect(ui.stop()).toHaveAttribute('data-state', 'idle');
    await expect(ui.stop()).toBeDisabled();
    const server = latestStream();
    await expect(server.state).toBe('finished');
    await expect(server.sent).toBe(server.total);
  };
}

export const OpenAIChatCompletions: Story = { args: { protocol: 'openai-chat' }, play: playsToTheEnd('openai-chat') };
export const OpenAIResponses: Story = { args: { protocol: 'openai-responses' }, play: playsToTheEnd('openai-responses') };
export const AnthropicMessages: Story = { args: { protocol: 'anthropic' }, play: playsToTheEnd('anthropic') };
export const AiSdkUiMessageStream: Story = { args: { protocol: 'ai-sdk' }, play: playsToTheEnd('ai-sdk') };
export const PlainText: Story = { args: { protocol: 'text' }, play: playsToTheEnd('text') };
export const Ndjson: Story = { args: { protocol: 'ndjson' }, play: playsToTheEnd('ndjson') };

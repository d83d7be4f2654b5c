import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor } from 'storybook/test';
import { PROTOCOLS } from '../src/index';
import { ChatDemo } from './ChatDemo';
import { getFixture } from './mocks/fixtures';
import { chatUi, latestStream, pause, recordAttribute, WAIT, waitForServer } from './play';

/**
 * `useModelStream` + `StopButton` in every state, against a mock model server (MSW) that replays
 * the recorded transcripts of `test/fixtures/`. Each story's play function is also its test.
 */
const meta = {
  title: 'useModelStream/States',
  component: ChatDemo,
  args: {
    protocol: 'openai-chat',
    transcript: 'text-usage',
    pace: 40,
    stallAfter: undefined,
    cancel: 'confirm',
    cancelDelayMs: 1500,
    cancelTimeoutMs: 3000,
    httpStatus: 200,
    prompt: 'How do I make a better café au lait?',
  },
  argTypes: {
    protocol: { control: 'select', options: PROTOCOLS },
    transcript: { control: 'select', options: ['text-usage', 'parallel-tool-calls', 'cutoff-mid-tool-call', 'error-midstream', 'abort'] },
    pace: { control: { type: 'range', min: 0, max: 400, step: 10 } },
    stallAfter: { control: { type: 'number', min: 0 } },
    cancel: { control: 'inline-radio', options: ['confirm', 'slow', 'failing', 'hanging', 'none'] },
    cancelDelayMs: { control: { type: 'number', min: 0, step: 100 } },
    cancelTimeoutMs: { control: { type: 'number', min: 0, step: 100 } },
    httpStatus: { control: 'inline-radio', options: [200, 429, 500, 503] },
  },
} satisfies Meta<typeof ChatDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

const TEXT_USAGE = getFixture('openai-chat/text-usage');
/** In the Chat Completions text transcript, all the text is out after 17 events; the finish chunk, the usage chunk and `[DONE]` follow. */
const BEFORE_FINISH = 17;

/** Nothing started: the Stop button has nothing to stop. */
export const Idle: Story = {
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await expect(ui.status()).toHaveTextContent('idle');
    await expect(ui.ask()).toBeEnabled();
    const stop = ui.stop();
    await expect(stop).toHaveAttribute('type', 'button');
    await expect(stop).toHaveAttribute('data-state', 'idle');
    await expect(stop).toBeDisabled();
    await expect(stop).toHaveAttribute('data-disabled', '');
    await expect(stop).not.toHaveAttribute('aria-busy');
    await expect(ui.text()).toBe('');
    await expect(ui.incomplete()).toBeNull();
  },
};

/** Text arriving; the model pauses after ten events, so the state holds still for a look. */
export const StreamingText: Story = {
  args: { stallAfter: 10 },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(
      () => expect(ui.text()).toBe("Sure! Here's a quick tip: brew your café au lait with freshly ground beans, let the water rest thirty seconds"),
      WAIT,
    );
    await expect(ui.status()).toHaveTextContent('streaming');
    const stop = ui.stop();
    await expect(stop).toHaveAttribute('data-state', 'streaming');
    await expect(stop).toBeEnabled();
    await expect(stop).not.toHaveAttribute('data-disabled');
    await expect(stop).not.toHaveAttribute('aria-busy');
    await expect(ui.ask()).toBeDisabled();
    await expect(ui.incomplete()).toBeNull();
    await expect(latestStream().state).toBe('stalled');
  },
};

/** Anthropic extended thinking: reasoning streams before any answer text (kept apart from `text`). */
export const Reasoning: Story = {
  args: { protocol: 'anthropic', transcript: 'parallel-tool-calls', stallAfter: 6 },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.canvas.getByTestId('reasoning')).toHaveTextContent('Two independent lookups: trains and weather. Call both at once.'), WAIT);
    await expect(ui.text()).toBe('');
    await expect(ui.toolCalls()).toHaveLength(0);
    await expect(ui.stop()).toHaveAttribute('data-state', 'streaming');
  },
};

/** A tool call whose JSON arguments are half written: the raw text and the partial parsed value, live. */
export const ToolCallArgumentsForming: Story = {
  args: { protocol: 'anthropic', transcript: 'parallel-tool-calls', stallAfter: 21 },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.canvas.getByTestId('args-text')).toHaveTextContent('"date": "2025-03', { normalizeWhitespace: false }), WAIT);
    await expect(ui.text()).toBe("I'll check trains and the forecast at the same time.");
    const [call] = ui.toolCalls();
    await expect(call).toHaveAttribute('data-state', 'streaming');
    await expect(call).toHaveTextContent('search_trains');
    await expect(ui.canvas.getByTestId('args-text').textContent).toBe('{"origin": "Lyon Part-Dieu", "destination": "Genève", "date": "2025-03');
    // The partial parsed value: a string still being written is already there.
    await expect(JSON.parse(ui.canvas.getByTestId('args').textContent ?? '')).toEqual({
      origin: 'Lyon Part-Dieu',
      destination: 'Genève',
      date: '2025-03',
    });
    await expect(ui.stop()).toHaveAttribute('data-state', 'streaming');
  },
};

/**
 * The stop contract with a slow cancel endpoint: `stopping` (with `aria-busy`) while the server
 * takes its time, the message frozen at the click even though the model keeps sending, then the
 * confirmed end.
 */
export const Stopping: Story = {
  args: { pace: 80, stallAfter: BEFORE_FINISH, cancel: 'slow', cancelDelayMs: 1200 },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    const states = recordAttribute(ui.stop(), 'data-state');
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.text()).not.toBe(''), WAIT);

    await userEvent.click(ui.stop());
    const frozen = ui.text();
    const stop = ui.stop();
    await expect(stop).toHaveAttribute('data-state', 'stopping');
    await expect(stop).toHaveAttribute('aria-busy', 'true');
    await expect(ui.status()).toHaveTextContent('stopping');

    // The server is still streaming (the cancel is slow): what arrives now is not shown.
    await waitForServer((s) => s.sentAfterCancelRequest >= 3, 'events sent after the cancel arrived');
    await expect(ui.text()).toBe(frozen);
    await expect(ui.stop()).toHaveAttribute('data-state', 'stopping');

    await waitFor(() => expect(ui.incomplete()).toHaveTextContent('Stopped · server confirmed'), WAIT);
    await expect(ui.text()).toBe(frozen);
    await expect(frozen.length).toBeLessThan(TEXT_USAGE.expected.text.length);
    await expect(TEXT_USAGE.expected.text.startsWith(frozen)).toBe(true);
    await expect(states.values()).toEqual(['idle', 'streaming', 'stopping', 'idle']);
    states.stop();
    const server = latestStream();
    await expect(server.state).toBe('cancelled');
    await expect(server.terminal).toBe('stream-cancelled');
  },
};

/** Stop, and the server confirms: the replay ends with the `stream-cancelled` event and the usage so far. */
export const CancelledConfirmed: Story = {
  args: { pace: 80, stallAfter: BEFORE_FINISH, cancel: 'confirm' },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    const states = recordAttribute(ui.stop(), 'data-state');
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.text()).not.toBe(''), WAIT);
    await userEvent.click(ui.stop());
    const frozen = ui.text();

    await waitFor(() => expect(ui.status()).toHaveTextContent('incomplete'), WAIT);
    const badge = ui.incomplete();
    await expect(badge).toHaveTextContent('Stopped · server confirmed');
    await expect(badge).toHaveAttribute('data-reason', 'cancelled');
    await expect(badge).toHaveAttribute('data-server-confirmed', 'true');
    await expect(ui.usage()).toHaveAttribute('data-estimated', 'true');
    await expect(ui.error()).toBeNull();
    await expect(states.values()).toEqual(['idle', 'streaming', 'stopping', 'idle']);
    states.stop();
    await expect(ui.stop()).toBeDisabled();

    const server = latestStream();
    await expect(server.cancel).toBe('confirmed');
    await expect(server.terminal).toBe('stream-cancelled');
    await expect(server.sent).toBeLessThan(server.total);
    // Nothing more arrives, nothing more is shown.
    await pause(300);
    await expect(ui.text()).toBe(frozen);
    await expect(latestStream().sent).toBe(server.sent);
  },
};

/** Stopped in the middle of a tool call's arguments: the call is kept, marked `incomplete`. */
export const StoppedMidToolCall: Story = {
  args: { protocol: 'anthropic', transcript: 'parallel-tool-calls', stallAfter: 21, cancel: 'confirm' },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.canvas.getByTestId('args-text')).toHaveTextContent('"date": "2025-03', { normalizeWhitespace: false }), WAIT);
    await userEvent.click(ui.stop());
    await waitFor(() => expect(ui.incomplete()).toHaveTextContent('Stopped · server confirmed'), WAIT);
    const [call] = ui.toolCalls();
    await expect(call).toHaveAttribute('data-state', 'incomplete');
    await expect(ui.canvas.getByTestId('args-text').textContent).toBe('{"origin": "Lyon Part-Dieu", "destination": "Genève", "date": "2025-03');
    await expect(ui.canvas.getByTestId('reasoning')).toHaveTextContent('Two independent lookups');
    await expect(latestStream().terminal).toBe('stream-cancelled');
  },
};

/**
 * The cancel endpoint fails (HTTP 500, retried once): the fetch is aborted locally anyway, and the
 * message says the server did not confirm.
 */
export const CancelFailed: Story = {
  args: { protocol: 'openai-responses', pace: 80, stallAfter: 19, cancel: 'failing' },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    const states = recordAttribute(ui.stop(), 'data-state');
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.text()).not.toBe(''), WAIT);
    await userEvent.click(ui.stop());
    const frozen = ui.text();

    await waitFor(() => expect(ui.incomplete()).toHaveTextContent('Stopped · the server did not confirm'), WAIT);
    await expect(ui.incomplete()).toHaveAttribute('data-server-confirmed', 'false');
    await expect(ui.error()).toHaveTextContent('The cancel request failed with HTTP 500');
    await expect(ui.text()).toBe(frozen);
    await expect(states.values()).toEqual(['idle', 'streaming', 'stopping', 'idle']);
    states.stop();
    const server = latestStream();
    await expect(server.cancel).toBe('failed');
    await expect(server.cancelRequests).toBe(2);
    // Not told to stop, the server only saw the connection close.
    await waitForServer((s) => s.state === 'client-gone', 'the client closed the connection');
  },
};

/** The cancel endpoint never answers: after `cancelTimeoutMs` the stream is aborted locally, unconfirmed. */
export const CancelTimedOut: Story = {
  args: { protocol: 'ai-sdk', pace: 80, stallAfter: 19, cancel: 'hanging', cancelTimeoutMs: 800 },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.text()).not.toBe(''), WAIT);
    const started = performance.now();
    await userEvent.click(ui.stop());
    const frozen = ui.text();
    await expect(ui.stop()).toHaveAttribute('data-state', 'stopping');

    await waitFor(() => expect(ui.incomplete()).toHaveTextContent('Stopped · the server did not confirm'), WAIT);
    await expect(performance.now() - started).toBeGreaterThanOrEqual(800);
    await expect(ui.error()).toHaveTextContent('did not answer within 800 ms');
    await expect(ui.text()).toBe(frozen);
    await expect(ui.stop()).toHaveAttribute('data-state', 'idle');
    await expect(latestStream().cancel).toBe('hanging');
  },
};

/** No `cancelApi`: Stop can only abort the fetch. Marked, but never confirmed; the server only sees the connection close. */
export const StopWithoutCancelEndpoint: Story = {
  args: { protocol: 'anthropic', pace: 80, stallAfter: 18, cancel: 'none' },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.text()).not.toBe(''), WAIT);
    await userEvent.click(ui.stop());
    const frozen = ui.text();
    await waitFor(() => expect(ui.incomplete()).toHaveTextContent('Stopped · the server did not confirm'), WAIT);
    await expect(ui.error()).toBeNull();
    await expect(ui.text()).toBe(frozen);
    await waitForServer((s) => s.state === 'client-gone', 'the client closed the connection');
    await expect(latestStream().cancelRequests).toBe(0);
  },
};

/** The model reports an error mid-stream (Anthropic `overloaded_error`): the text so far is kept, marked failed. */
export const ErrorMidStream: Story = {
  args: { protocol: 'anthropic', transcript: 'error-midstream' },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.status()).toHaveTextContent('incomplete'), WAIT);
    await expect(ui.incomplete()).toHaveTextContent('Failed');
    await expect(ui.incomplete()).toHaveAttribute('data-reason', 'error');
    await expect(ui.error()).toHaveTextContent('StreamModelError: Overloaded');
    await expect(ui.text()).toBe(getFixture('anthropic/error-midstream').expected.text);
    await expect(ui.stop()).toHaveAttribute('data-state', 'idle');
    await expect(ui.stop()).toBeDisabled();
  },
};

/** The stream request itself fails (HTTP 429): a typed `StreamHttpError`, nothing to stop. */
export const HttpError: Story = {
  args: { httpStatus: 429 },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.status()).toHaveTextContent('incomplete'), WAIT);
    await expect(ui.error()).toHaveTextContent('StreamHttpError: The stream request failed with HTTP 429');
    await expect(ui.error()).toHaveTextContent('Rate limit reached');
    await expect(ui.incomplete()).toHaveAttribute('data-reason', 'error');
    await expect(ui.text()).toBe('');
    await expect(ui.stop()).toHaveAttribute('data-state', 'idle');
    await expect(ui.ask()).toBeEnabled();
  },
};

/** The connection closes before the model finished (a recorded cut-off, mid tool call): `disconnected`, never a spinner. */
export const Disconnected: Story = {
  args: { transcript: 'cutoff-mid-tool-call' },
  play: async ({ canvasElement }) => {
    const ui = chatUi(canvasElement);
    await userEvent.click(ui.ask());
    await waitFor(() => expect(ui.status()).toHaveTextContent('incomplete'), WAIT);
    await expect(ui.incomplete()).toHaveTextContent('Disconnected');
    await expect(ui.incomplete()).toHaveAttribute('data-reason', 'disconnected');
    await expect(ui.error()).toHaveTextContent('StreamAbortedError');
    await expect(ui.text()).toBe('Let me look that up.');
    const [call] = ui.toolCalls();
    await expect(call).toHaveAttribute('data-state', 'incomplete');
    await expect(ui.canvas.getByTestId('args-text').textContent).toBe('{"origin":"Lyon Part-Dieu","dest');
    await expect(ui.stop()).toHaveAttribute('data-state', 'idle');
  },
};

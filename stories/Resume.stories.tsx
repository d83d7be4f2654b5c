import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { DEFAULT_FAKE_SCRIPT } from '../src/server/index';
import { PROTOCOLS } from '../src/index';
import { resumeServer } from './mocks/resumeServer';
import { recordAttribute, WAIT } from './play';
import { ResumeDemo } from './ResumeDemo';

/**
 * Resume (docs/resume.md): a dropped connection is not the end of the answer. The page reads a
 * stream from the library's own server helpers (MSW); "Drop the connection" cuts it mid-answer.
 */
const meta = {
  title: 'useModelStream/Resume',
  component: ResumeDemo,
  args: { protocol: 'anthropic', pace: 25, reconnectDelayMs: 250, expired: false, prompt: 'A coffee tip, please' },
  argTypes: {
    protocol: { control: 'select', options: PROTOCOLS },
    pace: { control: { type: 'range', min: 0, max: 200, step: 5 } },
    reconnectDelayMs: { control: { type: 'number', min: 0, step: 50 } },
  },
} satisfies Meta<typeof ResumeDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

function ui(canvasElement: HTMLElement) {
  const canvas = within(canvasElement);
  return {
    ask: () => canvas.getByRole('button', { name: 'Ask' }),
    drop: () => canvas.getByRole('button', { name: 'Drop the connection' }),
    stop: () => canvas.getByRole('button', { name: 'Stop generating' }),
    status: () => canvas.getByTestId('status'),
    text: () => canvas.getByTestId('text').textContent ?? '',
    incomplete: () => canvas.queryByTestId('incomplete'),
  };
}

/** Dropped mid-answer: `reconnecting`, then the rest; the answer ends whole, as if nothing happened. */
export const Reconnecting: Story = {
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    const before = resumeServer.resumeRequests();
    await userEvent.click(page.ask());
    await waitFor(() => expect(page.text().length).toBeGreaterThan(40), WAIT);
    const statuses = recordAttribute(page.status(), 'data-status');
    await userEvent.click(page.drop());
    await waitFor(() => expect(page.status()).toHaveTextContent('complete'), WAIT);
    statuses.stop();
    await expect(statuses.values()).toContain('reconnecting');
    await expect(page.text()).toBe(DEFAULT_FAKE_SCRIPT.text);
    await expect(resumeServer.resumeRequests()).toBeGreaterThan(before);
    await expect(page.incomplete()).toBeNull();
  },
};

/** A Stop while reconnecting: the server cancel, no resume request, the answer kept and marked. */
export const StopWhileReconnecting: Story = {
  args: { reconnectDelayMs: 2000 },
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    await userEvent.click(page.ask());
    await waitFor(() => expect(page.text().length).toBeGreaterThan(40), WAIT);
    const before = resumeServer.resumeRequests();
    await userEvent.click(page.drop());
    await waitFor(() => expect(page.status()).toHaveTextContent('reconnecting'), WAIT);
    await userEvent.click(page.stop());
    await waitFor(() => expect(page.status()).toHaveTextContent('incomplete'), WAIT);
    await expect(page.incomplete()).toHaveAttribute('data-reason', 'cancelled');
    await expect(page.incomplete()).toHaveAttribute('data-server-confirmed', 'true');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await expect(resumeServer.resumeRequests()).toBe(before);
    await expect(resumeServer.latestRun()!.tokensAfterAbort).toBeLessThanOrEqual(1);
  },
};

/** The stream's log expired (404): the answer stays as shown, marked `disconnected`. */
export const ResumeExpired: Story = {
  args: { expired: true },
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    await userEvent.click(page.ask());
    await waitFor(() => expect(page.text().length).toBeGreaterThan(40), WAIT);
    await userEvent.click(page.drop());
    const shown = page.text();
    await waitFor(() => expect(page.status()).toHaveTextContent('incomplete'), WAIT);
    await expect(page.incomplete()).toHaveAttribute('data-reason', 'disconnected');
    await expect(page.text()).toBe(shown);
  },
};

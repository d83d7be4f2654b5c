import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { PROTOCOLS } from '../src/index';
import { ToolLoop } from '../demo/src/ToolLoop';
import { toolLoopServer } from './mocks/toolLoopServer';
import { pause, WAIT } from './play';

/**
 * A tool run (docs/tools.md), the demo's "Tool run" panel: step 1 calls `get_weather` (runs on the
 * client, honours its signal) and `delete_file` (waits for Allow / Deny); step 2 answers with the
 * results. The model is the library's fake model behind `handleModelStream` (MSW), scripted by the
 * history it is sent. One Stop ends the run wherever it is: each story below stops it at one point.
 */
const meta = {
  title: 'useModelStream/Tool run',
  component: ToolLoop,
  args: { api: '/api/tools/chat', cancelApi: '/api/tools/cancel', protocol: 'anthropic', tokensPerSecond: 80, weatherMs: 400, initialFormat: 'anthropic' },
  argTypes: {
    protocol: { control: 'select', options: PROTOCOLS },
    initialFormat: { control: 'select', options: ['openai-chat', 'openai-responses', 'anthropic'] },
    tokensPerSecond: { control: { type: 'range', min: 5, max: 200, step: 5 } },
    weatherMs: { control: { type: 'number', min: 0, step: 100 } },
  },
} satisfies Meta<typeof ToolLoop>;

export default meta;
type Story = StoryObj<typeof meta>;

const FINAL = 'It is 21 °C and sunny in Genève. I deleted reports/old-draft.txt.';

function ui(canvasElement: HTMLElement) {
  const canvas = within(canvasElement);
  const call = (name: string) => canvasElement.querySelector(`[data-testid="loop-call"][data-name="${name}"]`);
  return {
    canvas,
    ask: () => canvas.getByRole('button', { name: /Ask/ }),
    stop: () => canvas.getByRole('button', { name: 'Stop the tool run' }),
    allow: () => canvas.findByRole('button', { name: 'Allow delete_file' }, WAIT),
    status: () => canvas.getByTestId('loop-status').getAttribute('data-status'),
    steps: () => canvas.queryAllByTestId('loop-assistant'),
    stepText: (n: number) => canvas.queryAllByTestId('loop-text')[n]?.textContent ?? '',
    execution: (name: string) => call(name)?.getAttribute('data-execution') ?? null,
    report: (name: string) => call(name)?.getAttribute('data-report') ?? null,
    incomplete: () => canvas.queryByTestId('loop-incomplete'),
  };
}

/** Clicks Ask; returns how many step requests the server had seen before. */
async function ask(page: ReturnType<typeof ui>): Promise<number> {
  const before = toolLoopServer.requests().length;
  await userEvent.click(page.ask());
  return before;
}

/** The end state of a Stop in step 1: its message incomplete / cancelled, and no step 2 reached the server. */
async function stoppedInStep1(page: ReturnType<typeof ui>, before: number, serverConfirmed: boolean) {
  await waitFor(() => expect(page.status()).toBe('incomplete'), WAIT);
  await expect(page.incomplete()).toHaveAttribute('data-reason', 'cancelled');
  await expect(page.incomplete()).toHaveAttribute('data-server-confirmed', String(serverConfirmed));
  await expect(page.stop()).toBeDisabled();
  // Longer than the weather tool takes: a run left going would have sent step 2 by now.
  await pause(700);
  await expect(toolLoopServer.requests().slice(before).map((r) => r.step)).toEqual([1]);
  await expect(page.steps()).toHaveLength(1);
}

/** Step 1 done streaming: the weather has run, `delete_file` waits for the user; Stop is enabled. */
export const AwaitingApproval: Story = {
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    await ask(page);
    await page.allow();
    await waitFor(() => expect(page.execution('get_weather')).toBe('done'), WAIT);
    await expect(page.execution('delete_file')).toBe('awaiting-approval');
    await expect(page.status()).toBe('tools');
    await expect(page.stop()).toBeEnabled();
  },
};

/** `get_weather` running on the client (it takes a minute here): status `tools`, Stop enabled. */
export const ToolRunning: Story = {
  args: { weatherMs: 60_000 },
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    await ask(page);
    await waitFor(() => expect(page.execution('get_weather')).toBe('running'), WAIT);
    await expect(page.report('get_weather')).toBe('running');
    await expect(page.status()).toBe('tools');
    await expect(page.stop()).toBeEnabled();
  },
};

/** Allow: the run goes on by itself; step 2's request carries both results, and its answer uses them. */
export const CompletedTwoStepRun: Story = {
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    const before = await ask(page);
    await userEvent.click(await page.allow());
    await waitFor(() => expect(page.status()).toBe('complete'), WAIT);
    await expect(page.steps()).toHaveLength(2);
    await expect(page.steps()[1]).toHaveTextContent(FINAL);
    await expect(page.execution('delete_file')).toBe('done');
    const seen = toolLoopServer.requests().slice(before);
    await expect(seen.map((r) => r.step)).toEqual([1, 2]);
    await expect(seen[1]!.results.map((r) => r.name)).toEqual(['get_weather', 'delete_file']);
    await expect(page.stop()).toBeDisabled();
  },
};

/** Stop while step 1 streams: the stop contract (server confirmed); no tool runs, no step 2. */
export const StopWhileStreaming: Story = {
  // Slow, so that the Stop lands mid-stream even on a loaded machine.
  args: { tokensPerSecond: 5 },
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    const before = await ask(page);
    await waitFor(() => expect(page.stepText(1).length).toBeGreaterThan(5), WAIT);
    await userEvent.click(page.stop());
    await stoppedInStep1(page, before, true);
    await expect(page.report('get_weather')).toBeNull();
    await expect(toolLoopServer.latestRun()!.tokensAfterAbort).toBeLessThanOrEqual(1);
  },
};

/** Stop while `get_weather` runs: its signal aborts (the tool says so), both calls cancelled, no step 2. */
export const StopWhileToolRuns: Story = {
  args: { weatherMs: 60_000 },
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    const before = await ask(page);
    await waitFor(() => expect(page.execution('get_weather')).toBe('running'), WAIT);
    await userEvent.click(page.stop());
    await waitFor(() => expect(page.report('get_weather')).toBe('aborted'), WAIT);
    await stoppedInStep1(page, before, false);
    await expect(page.execution('get_weather')).toBe('cancelled');
    await expect(page.execution('delete_file')).toBe('cancelled');
  },
};

/** Stop while `delete_file` awaits approval: the call cancelled, the weather's result kept, no step 2. */
export const StopWhileAwaitingApproval: Story = {
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    const before = await ask(page);
    await page.allow();
    await waitFor(() => expect(page.execution('get_weather')).toBe('done'), WAIT);
    await userEvent.click(page.stop());
    await stoppedInStep1(page, before, false);
    await expect(page.execution('delete_file')).toBe('cancelled');
    await expect(page.execution('get_weather')).toBe('done');
    await expect(page.canvas.queryByRole('button', { name: 'Allow delete_file' })).toBeNull();
  },
};

/** Deny, then Stop in the same click: every result is in, step 2 not started — and it never starts. */
export const StopBetweenSteps: Story = {
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    const before = await ask(page);
    await page.allow();
    await waitFor(() => expect(page.execution('get_weather')).toBe('done'), WAIT);
    await userEvent.click(page.canvas.getByRole('button', { name: 'Deny and stop at once' }));
    await stoppedInStep1(page, before, false);
    await expect(page.execution('delete_file')).toBe('denied');
  },
};

/** Stop while step 2 streams: the stop contract on step 2 (server confirmed); step 1 and its results stay. */
export const StopWhileStep2Streams: Story = {
  args: { tokensPerSecond: 10 },
  play: async ({ canvasElement }) => {
    const page = ui(canvasElement);
    const before = await ask(page);
    await userEvent.click(await page.allow());
    await waitFor(() => expect(page.stepText(2).length).toBeGreaterThan(0), WAIT);
    await userEvent.click(page.stop());
    await waitFor(() => expect(page.status()).toBe('incomplete'), WAIT);
    await expect(page.incomplete()).toHaveAttribute('data-server-confirmed', 'true');
    await expect(page.steps()[0]).toHaveAttribute('data-status', 'complete');
    await expect(page.steps()[1]).toHaveAttribute('data-status', 'incomplete');
    await expect(page.execution('delete_file')).toBe('done');
    await pause(500);
    await expect(toolLoopServer.requests().slice(before).map((r) => r.step)).toEqual([1, 2]);
  },
};

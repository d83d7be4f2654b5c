import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ComponentProps } from 'react';
import { expect, fn, userEvent, within } from 'storybook/test';
import { StopButton, type StoppableStream } from '../src/index';
import './ChatDemo.css';

/** A stand-in for `useModelStream`'s result: a status and a `stop` spy. */
function streamIn(status: StoppableStream['status']): StoppableStream {
  return { status, stop: fn(async () => ({ serverConfirmed: true })).mockName(`stop (${status})`) };
}

/**
 * `<StopButton>`: headless and accessible. A `<button type="button">` (or its child with
 * `asChild`), named "Stop generating" unless its children name it, with
 * `data-state="idle" | "streaming" | "stopping"`, `disabled` and `data-disabled` when there is
 * nothing to stop, and `aria-busy` while stopping. It has no styles of its own: the stories style
 * it from `data-state`. A click calls the stream's `stop()` (the stop contract, see "Stop
 * contract").
 */
const meta = {
  title: 'StopButton',
  component: StopButton,
  tags: ['autodocs'],
  // Each story gets its own stub (and `stop` spy), so calls never leak from one story into another.
  args: { className: 'rms-stop' },
  argTypes: {
    stream: { control: false, description: 'The stream to stop (the result of `useModelStream`); default: the one `ModelStreamProvider` provides.' },
    asChild: { control: 'boolean', description: 'Render the single child instead of a `<button>`, merging props onto it.' },
  },
} satisfies Meta<typeof StopButton>;

export default meta;
type Story = StoryObj<typeof meta>;

/** While a stream runs: enabled, `data-state="streaming"`. A click calls `stop()`. */
export const Streaming: Story = {
  args: { stream: streamIn('streaming') },
  play: async ({ canvasElement, args }) => {
    const button = within(canvasElement).getByRole('button', { name: 'Stop generating' });
    await expect(button).toHaveAttribute('data-state', 'streaming');
    await userEvent.click(button);
    await expect(args.stream?.stop).toHaveBeenCalledTimes(1);
  },
};

const STATUSES: StoppableStream['status'][] = ['idle', 'connecting', 'streaming', 'reconnecting', 'tools', 'stopping', 'complete', 'incomplete'];

/** Every stream status side by side, with the state the button derives from it. */
export const AllStates: Story = {
  render: (args) => (
    <div style={{ display: 'flex', gap: '1.5rem', flexWrap: 'wrap', font: '13px system-ui, sans-serif' }}>
      {STATUSES.map((status) => (
        <figure key={status} data-testid={`status-${status}`} style={{ margin: 0, display: 'grid', gap: '0.4rem', justifyItems: 'start' }}>
          <StopButton {...args} stream={streamIn(status)} />
          <figcaption>
            status <code>{status}</code>
          </figcaption>
        </figure>
      ))}
    </div>
  ),
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const expected: Record<StoppableStream['status'], { state: string; disabled: boolean; busy: boolean }> = {
      idle: { state: 'idle', disabled: true, busy: false },
      connecting: { state: 'streaming', disabled: false, busy: false },
      streaming: { state: 'streaming', disabled: false, busy: false },
      reconnecting: { state: 'streaming', disabled: false, busy: false },
      tools: { state: 'streaming', disabled: false, busy: false },
      stopping: { state: 'stopping', disabled: false, busy: true },
      complete: { state: 'idle', disabled: true, busy: false },
      incomplete: { state: 'idle', disabled: true, busy: false },
    };
    for (const status of STATUSES) {
      const button = within(canvas.getByTestId(`status-${status}`)).getByRole('button', { name: 'Stop generating' });
      const { state, disabled, busy } = expected[status];
      await expect(button, status).toHaveAttribute('type', 'button');
      await expect(button, status).toHaveAttribute('data-state', state);
      if (disabled) {
        await expect(button, status).toBeDisabled();
        await expect(button, status).toHaveAttribute('data-disabled', '');
      } else {
        await expect(button, status).toBeEnabled();
        await expect(button, status).not.toHaveAttribute('data-disabled');
      }
      if (busy) await expect(button, status).toHaveAttribute('aria-busy', 'true');
      else await expect(button, status).not.toHaveAttribute('aria-busy');
    }
  },
};

/** A button component of your design system. `asChild` merges StopButton's props and handlers onto it. */
function ToolbarButton(props: ComponentProps<'button'>) {
  return <button type="button" {...props} className="rms-stop-chip" style={{ padding: '0.3rem 0.8rem', borderRadius: 999, border: '1px solid #c4312b', color: '#c4312b', font: '13px system-ui' }} />;
}

/**
 * `asChild`: StopButton renders your component instead of its own `<button>`. Here the children
 * give the name, so there is no `aria-label`; when there is nothing to stop, a child gets
 * `aria-disabled` (StopButton cannot know whether it supports `disabled`), and a click does nothing.
 */
export const AsChild: Story = {
  args: { stream: streamIn('streaming'), className: undefined },
  render: (args) => (
    <div style={{ display: 'flex', gap: '1rem' }}>
      <StopButton {...args} asChild>
        <ToolbarButton>Stop the answer</ToolbarButton>
      </StopButton>
      <StopButton stream={streamIn('idle')} asChild>
        <ToolbarButton>Nothing to stop</ToolbarButton>
      </StopButton>
    </div>
  ),
  play: async ({ canvasElement, args }) => {
    const canvas = within(canvasElement);
    const live = canvas.getByRole('button', { name: 'Stop the answer' });
    await expect(live).not.toHaveAttribute('aria-label');
    await expect(live).toHaveAttribute('data-state', 'streaming');
    await expect(live).toHaveClass('rms-stop-chip');
    await userEvent.click(live);
    await expect(args.stream?.stop).toHaveBeenCalledTimes(1);

    const idle = canvas.getByRole('button', { name: 'Nothing to stop' });
    await expect(idle).toHaveAttribute('data-state', 'idle');
    await expect(idle).toHaveAttribute('aria-disabled', 'true');
    await expect(idle).toHaveAttribute('data-disabled', '');
  },
};

/** Your `onClick` runs first; `event.preventDefault()` in it cancels the stop (e.g. to ask for confirmation). */
export const OnClickCanCancel: Story = {
  args: { stream: streamIn('streaming'), onClick: fn((event) => event.preventDefault()), children: 'Stop (cancelled by onClick)', className: undefined },
  play: async ({ canvasElement, args }) => {
    const button = within(canvasElement).getByRole('button', { name: 'Stop (cancelled by onClick)' });
    await userEvent.click(button);
    await expect(args.onClick).toHaveBeenCalledTimes(1);
    await expect(args.stream?.stop).not.toHaveBeenCalled();
  },
};

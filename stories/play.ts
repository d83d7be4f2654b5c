import { expect, waitFor, within } from 'storybook/test';
import { mockModelServer, type MockStream } from './mocks/mockModelServer';

/** `waitFor` options for things that take a stream's worth of time on a loaded 2-core machine. */
export const WAIT = { timeout: 10_000, interval: 10 } as const;

/** The parts of `ChatDemo` a play function reads and clicks, found by role first. */
export function chatUi(canvasElement: HTMLElement) {
  const canvas = within(canvasElement);
  return {
    canvas,
    ask: () => canvas.getByRole('button', { name: 'Ask' }),
    stop: () => canvas.getByRole('button', { name: 'Stop generating' }),
    status: () => canvas.getByTestId('status'),
    text: () => canvas.getByTestId('text').textContent ?? '',
    incomplete: () => canvas.queryByTestId('incomplete'),
    error: () => canvas.queryByRole('alert'),
    usage: () => canvas.queryByTestId('usage'),
    toolCalls: () => canvas.queryAllByTestId('tool-call'),
  };
}

/** The mock server's record of the most recent stream. */
export function latestStream(): MockStream {
  const stream = mockModelServer.getSnapshot().at(-1);
  if (!stream) throw new Error('The mock server has seen no stream yet.');
  return stream;
}

/**
 * Records every value an attribute takes, with a MutationObserver: a state that lasts less than
 * one `waitFor` poll (a fast confirmed cancel) is still seen. Consecutive repeats are dropped.
 */
export function recordAttribute(element: Element, name: string): { values: () => string[]; stop: () => void } {
  const values = [element.getAttribute(name) ?? ''];
  const observer = new MutationObserver(() => {
    const value = element.getAttribute(name) ?? '';
    if (values.at(-1) !== value) values.push(value);
  });
  observer.observe(element, { attributes: true, attributeFilter: [name] });
  return { values: () => [...values], stop: () => observer.disconnect() };
}

/** Waits until the mock server's latest stream satisfies `check`. */
export async function waitForServer(check: (stream: MockStream) => boolean, what: string): Promise<MockStream> {
  await waitFor(() => expect(check(latestStream()), `mock server: ${what} (${JSON.stringify(latestStream())})`).toBe(true), WAIT);
  return latestStream();
}

/** Resolves after `ms` (to show that something does *not* change). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { createRef, type ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelStreamProvider, StopButton, useModelStream, type StoppableStream, type UseModelStreamResult } from '../../src/index';
import { startHttpServer, type RecordedRequest, type TestServer } from '../helpers/httpServer';
import { failOnConsole, part, SSE_HEADERS, WAIT } from './setup';

// The headless StopButton (DESIGN.md "Headless <StopButton>"), queried by role and name the way
// Radix tests its primitives. Prop-level behaviour uses a stream object the test controls; the
// state machine, the context and the keyboard are also driven by a real stream on a real server.

failOnConsole();

let server: TestServer | null = null;
afterEach(async () => {
  cleanup();
  await server?.close();
  server = null;
});

/** A stream object the test controls: a status and a `stop` spy. */
function fakeStream(status: StoppableStream['status']) {
  return { status, stop: vi.fn(() => Promise.resolve({ serverConfirmed: true })) };
}

/** axe-core on `context`, WCAG 2.x A/AA rules (color-contrast needs a real renderer, so it is off). */
async function axeViolations(context: Element) {
  const results = await axe.run(context, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    rules: { 'color-contrast': { enabled: false } },
  });
  return results.violations.map((violation) => `${violation.id}: ${violation.help}`);
}

/** A stream handler that writes a start and `Hello`, then stays open. */
function openStream(request: RecordedRequest) {
  request.res.writeHead(200, SSE_HEADERS);
  request.res.write(part({ type: 'start', messageId: 'm' }) + part({ type: 'text-delta', id: '0', delta: 'Hello' }));
}

describe('StopButton: role, name and state attributes', () => {
  it('is a type="button" named "Stop generating", disabled and data-disabled while idle', () => {
    render(<StopButton stream={fakeStream('idle')} />);
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button.tagName).toBe('BUTTON');
    expect(button.getAttribute('type')).toBe('button');
    expect(button.getAttribute('aria-label')).toBe('Stop generating');
    expect(button.getAttribute('data-state')).toBe('idle');
    expect(button).toHaveProperty('disabled', true);
    expect(button.hasAttribute('data-disabled')).toBe(true);
    expect(button.hasAttribute('aria-busy')).toBe(false);
  });

  it('without any stream (no prop, no provider) it is idle and disabled', () => {
    render(<StopButton />);
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button.getAttribute('data-state')).toBe('idle');
    expect(button).toHaveProperty('disabled', true);
  });

  it.each(['connecting', 'streaming'] as const)('%s: data-state="streaming", enabled, not busy', (status) => {
    render(<StopButton stream={fakeStream(status)} />);
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button.getAttribute('data-state')).toBe('streaming');
    expect(button).toHaveProperty('disabled', false);
    expect(button.hasAttribute('data-disabled')).toBe(false);
    expect(button.hasAttribute('aria-busy')).toBe(false);
  });

  it('stopping: data-state="stopping" and aria-busy="true"', () => {
    render(<StopButton stream={fakeStream('stopping')} />);
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button.getAttribute('data-state')).toBe('stopping');
    expect(button.getAttribute('aria-busy')).toBe('true');
  });

  it.each(['complete', 'incomplete'] as const)('%s: back to idle and disabled', (status) => {
    render(<StopButton stream={fakeStream(status)} />);
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button.getAttribute('data-state')).toBe('idle');
    expect(button).toHaveProperty('disabled', true);
  });

  it('a disabled prop wins while streaming: no stop on click', async () => {
    const stream = fakeStream('streaming');
    const user = userEvent.setup();
    render(<StopButton stream={stream} disabled />);
    const button = screen.getByRole('button', { name: 'Stop generating' });
    expect(button).toHaveProperty('disabled', true);
    expect(button.hasAttribute('data-disabled')).toBe(true);
    await user.click(button);
    expect(stream.stop).not.toHaveBeenCalled();
  });

  it('forwards its ref to the button', () => {
    const ref = createRef<HTMLButtonElement>();
    render(<StopButton stream={fakeStream('streaming')} ref={ref} />);
    expect(ref.current).toBe(screen.getByRole('button'));
  });

  it('has no styles of its own and passes other props through', () => {
    render(<StopButton stream={fakeStream('streaming')} className="stop" data-testid="stop" title="Stop (Esc)" />);
    const button = screen.getByTestId('stop');
    expect(button.className).toBe('stop');
    expect(button.getAttribute('style')).toBeNull();
    expect(button.getAttribute('title')).toBe('Stop (Esc)');
  });
});

describe('StopButton: accessible name', () => {
  it('children text gives the name: no aria-label', () => {
    render(<StopButton stream={fakeStream('streaming')}>Stop</StopButton>);
    const button = screen.getByRole('button', { name: 'Stop' });
    expect(button.hasAttribute('aria-label')).toBe(false);
  });

  it('text nested in elements gives the name too', () => {
    render(
      <StopButton stream={fakeStream('streaming')}>
        <svg aria-hidden="true" />
        <span>Stop answer</span>
      </StopButton>,
    );
    const button = screen.getByRole('button', { name: 'Stop answer' });
    expect(button.hasAttribute('aria-label')).toBe(false);
  });

  it('an icon-only child keeps the default aria-label', () => {
    render(
      <StopButton stream={fakeStream('streaming')}>
        <svg aria-hidden="true" />
      </StopButton>,
    );
    expect(screen.getByRole('button', { name: 'Stop generating' }).getAttribute('aria-label')).toBe('Stop generating');
  });

  it('an aria-label of yours wins; aria-labelledby suppresses the default', () => {
    render(
      <>
        <StopButton stream={fakeStream('streaming')} aria-label="Halt" />
        <span id="stop-label">Cancel reply</span>
        <StopButton stream={fakeStream('streaming')} aria-labelledby="stop-label" />
      </>,
    );
    expect(screen.getByRole('button', { name: 'Halt' })).toBeTruthy();
    const labelled = screen.getByRole('button', { name: 'Cancel reply' });
    expect(labelled.hasAttribute('aria-label')).toBe(false);
  });
});

describe('StopButton: axe', () => {
  it('has no WCAG A/AA violations in any state, with the default name, a text name and asChild', async () => {
    const states = ['idle', 'connecting', 'streaming', 'stopping', 'complete', 'incomplete'] as const;
    const { container, rerender } = render(<StopButton stream={fakeStream('idle')} />);
    for (const status of states) {
      rerender(
        <main>
          <StopButton stream={fakeStream(status)} />
          <StopButton stream={fakeStream(status)}>Stop</StopButton>
          <StopButton stream={fakeStream(status)} asChild>
            <a href="#stop">Stop</a>
          </StopButton>
        </main>,
      );
      expect(await axeViolations(container), status).toEqual([]);
    }
  });

  it('(the check can fail) axe flags a stop button whose name was blanked', async () => {
    const { container } = render(
      <main>
        <StopButton stream={fakeStream('streaming')} aria-label="" />
      </main>,
    );
    expect(await axeViolations(container)).toContainEqual(expect.stringMatching(/^button-name:/));
  });
});

describe('StopButton: asChild', () => {
  it('renders the child (a link) with the state attributes and no button-only attributes; a click stops', async () => {
    const stream = fakeStream('streaming');
    const childClick = vi.fn();
    const user = userEvent.setup();
    render(
      <StopButton stream={stream} asChild>
        <a href="#stop" className="stop-link" onClick={childClick}>
          Stop
        </a>
      </StopButton>,
    );
    expect(screen.queryByRole('button')).toBeNull();
    const link = screen.getByRole('link', { name: 'Stop' });
    expect(link.className).toBe('stop-link');
    expect(link.getAttribute('data-state')).toBe('streaming');
    expect(link.hasAttribute('type')).toBe(false);
    expect(link.hasAttribute('disabled')).toBe(false);
    expect(link.hasAttribute('aria-disabled')).toBe(false);
    expect(link.hasAttribute('aria-label')).toBe(false);

    await user.click(link);
    expect(childClick).toHaveBeenCalledTimes(1);
    expect(stream.stop).toHaveBeenCalledTimes(1);
  });

  it('idle: aria-disabled and data-disabled on the child, and a click does not stop', async () => {
    const stream = fakeStream('idle');
    const user = userEvent.setup();
    render(
      <StopButton stream={stream} asChild>
        <a href="#stop">Stop</a>
      </StopButton>,
    );
    const link = screen.getByRole('link', { name: 'Stop' });
    expect(link.getAttribute('aria-disabled')).toBe('true');
    expect(link.hasAttribute('data-disabled')).toBe(true);
    expect(link.getAttribute('data-state')).toBe('idle');
    await user.click(link);
    expect(stream.stop).not.toHaveBeenCalled();
  });

  it('a <button> child gets the real `disabled` (no aria-disabled) when idle, and loses it while streaming', () => {
    const { rerender } = render(
      <StopButton stream={fakeStream('idle')} asChild>
        <button className="mine">Stop</button>
      </StopButton>,
    );
    const button = screen.getByRole('button', { name: 'Stop' });
    expect(button).toHaveProperty('disabled', true);
    expect(button.hasAttribute('aria-disabled')).toBe(false);
    expect(button.hasAttribute('data-disabled')).toBe(true);
    rerender(
      <StopButton stream={fakeStream('streaming')} asChild>
        <button className="mine">Stop</button>
      </StopButton>,
    );
    expect(button).toHaveProperty('disabled', false);
    expect(button.hasAttribute('data-disabled')).toBe(false);
    expect(button.className).toBe('mine');
  });

  it('a <button> child inside a form gets type="button" (a click stops, it does not submit); its own type still wins', async () => {
    const stream = fakeStream('streaming');
    const onSubmit = vi.fn((event: { preventDefault: () => void }) => event.preventDefault());
    const user = userEvent.setup();
    render(
      <form onSubmit={onSubmit}>
        <StopButton stream={stream} asChild>
          <button>Stop</button>
        </StopButton>
        <StopButton stream={fakeStream('streaming')} asChild>
          <button type="submit">Stop and send</button>
        </StopButton>
      </form>,
    );
    const stop = screen.getByRole('button', { name: 'Stop' });
    expect(stop.getAttribute('type')).toBe('button');
    await user.click(stop);
    expect(stream.stop).toHaveBeenCalledTimes(1);
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Stop and send' }).getAttribute('type')).toBe('submit');
  });

  it('a component child (a design system Button) is given `disabled` and `aria-disabled` when idle', () => {
    const received: Array<Record<string, unknown>> = [];
    function DsButton(props: Record<string, unknown> & { children?: ReactNode }) {
      received.push(props);
      const { children, ...rest } = props;
      return <button {...rest}>{children}</button>;
    }
    const { rerender } = render(
      <StopButton stream={fakeStream('idle')} asChild>
        <DsButton>Stop</DsButton>
      </StopButton>,
    );
    expect(received.at(-1)).toMatchObject({ disabled: true, 'aria-disabled': true, 'data-state': 'idle', type: 'button' });
    expect(screen.getByRole('button', { name: 'Stop' })).toHaveProperty('disabled', true);
    rerender(
      <StopButton stream={fakeStream('streaming')} asChild>
        <DsButton>Stop</DsButton>
      </StopButton>,
    );
    expect(received.at(-1)!.disabled).toBeUndefined();
    expect(received.at(-1)!['aria-disabled']).toBeUndefined();
  });
});

describe('StopButton: keyboard', () => {
  it.each([['Enter', '{Enter}'], ['Space', ' ']])('%s on the focused button stops', async (_key, keys) => {
    const stream = fakeStream('streaming');
    const user = userEvent.setup();
    render(
      <>
        <input aria-label="Message" />
        <StopButton stream={stream} />
      </>,
    );
    await user.click(screen.getByRole('textbox', { name: 'Message' }));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Stop generating' }));
    await user.keyboard(keys);
    expect(stream.stop).toHaveBeenCalledTimes(1);
  });

  it('an idle (disabled) button is skipped by Tab', async () => {
    const user = userEvent.setup();
    render(
      <>
        <input aria-label="Message" />
        <StopButton stream={fakeStream('idle')} />
      </>,
    );
    await user.click(screen.getByRole('textbox', { name: 'Message' }));
    await user.tab();
    expect(document.activeElement).not.toBe(screen.getByRole('button', { name: 'Stop generating' }));
  });

  it('Enter stops a real stream: the cancel reaches the server', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end(JSON.stringify({ status: 'cancelled', usage: null }));
    });
    const url = server.url;
    const handle = { current: null as unknown as UseModelStreamResult };
    function Chat() {
      const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false });
      handle.current = chat;
      return <StopButton stream={chat} />;
    }
    const user = userEvent.setup();
    render(<Chat />);
    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Hi');
    });
    await waitFor(() => expect(handle.current.text).toBe('Hello'), WAIT);
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Stop generating' }));
    await user.keyboard('{Enter}');
    await act(async () => {
      await done;
    });
    expect(server.requests.filter((r) => r.url === '/cancel')).toHaveLength(1);
    expect(handle.current.message?.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
  });
});

describe('StopButton: your onClick', () => {
  it('runs first, then the stop', async () => {
    const order: string[] = [];
    const stream = { status: 'streaming' as const, stop: vi.fn(async () => (order.push('stop'), { serverConfirmed: true })) };
    const user = userEvent.setup();
    render(<StopButton stream={stream} onClick={() => order.push('onClick')} />);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    expect(order).toEqual(['onClick', 'stop']);
  });

  it('event.preventDefault() in it cancels the stop', async () => {
    const stream = fakeStream('streaming');
    const onClick = vi.fn((event: { preventDefault(): void }) => event.preventDefault());
    const user = userEvent.setup();
    render(<StopButton stream={stream} onClick={onClick} />);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    expect(onClick).toHaveBeenCalledTimes(1);
    expect(stream.stop).not.toHaveBeenCalled();
  });

  it('preventDefault() leaves a real stream streaming: no cancel request until the app stops it itself', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end(JSON.stringify({ status: 'cancelled', usage: null }));
    });
    const url = server.url;
    const handle = { current: null as unknown as UseModelStreamResult };
    function Chat() {
      const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false });
      handle.current = chat;
      return <StopButton stream={chat} onClick={(event) => event.preventDefault()} />;
    }
    const user = userEvent.setup();
    render(<Chat />);
    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Hi');
    });
    await waitFor(() => expect(handle.current.text).toBe('Hello'), WAIT);
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    expect(handle.current.status).toBe('streaming');
    expect(screen.getByRole('button', { name: 'Stop generating' }).getAttribute('data-state')).toBe('streaming');
    expect(server.events).toEqual(['request POST /chat']);
    // The app can still stop it its own way.
    await act(async () => {
      await handle.current.stop();
      await done;
    });
    expect(server.events.filter((e) => e === 'request POST /cancel')).toHaveLength(1);
  });
});

describe('StopButton: state machine and context with a real stream', () => {
  it('data-state goes idle → streaming → stopping → idle, aria-busy only while stopping', async () => {
    let holdCancel: RecordedRequest | null = null;
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      holdCancel = request;
    });
    const url = server.url;
    const handle = { current: null as unknown as UseModelStreamResult };
    function Chat() {
      const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false });
      handle.current = chat;
      return <StopButton stream={chat} />;
    }
    const user = userEvent.setup();
    render(<Chat />);
    const button = screen.getByRole('button', { name: 'Stop generating' });
    const records: MutationRecord[] = [];
    const observer = new MutationObserver((batch) => records.push(...batch));
    observer.observe(button, { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
    expect(button.getAttribute('data-state')).toBe('idle');
    expect(button).toHaveProperty('disabled', true);

    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Hi');
    });
    await waitFor(() => expect(handle.current.text).toBe('Hello'), WAIT);
    expect(button.getAttribute('data-state')).toBe('streaming');
    expect(button).toHaveProperty('disabled', false);

    await user.click(button);
    await waitFor(() => expect(holdCancel).not.toBeNull(), WAIT);
    expect(button.getAttribute('data-state')).toBe('stopping');
    expect(button.getAttribute('aria-busy')).toBe('true');

    await act(async () => {
      holdCancel!.res.writeHead(200, { 'content-type': 'application/json' });
      holdCancel!.res.end(JSON.stringify({ status: 'cancelled', usage: null }));
      await done;
    });
    expect(button.getAttribute('data-state')).toBe('idle');
    expect(button.hasAttribute('aria-busy')).toBe(false);
    expect(button).toHaveProperty('disabled', true);

    records.push(...observer.takeRecords());
    observer.disconnect();
    const seen = [...records.map((record) => record.oldValue), button.getAttribute('data-state')];
    expect(seen.filter((state, i) => state !== seen[i - 1])).toEqual(['idle', 'streaming', 'stopping', 'idle']);
  });

  it('without a stream prop, stops the stream of the nearest ModelStreamProvider', async () => {
    server = await startHttpServer((request) => {
      if (request.url === '/chat') return openStream(request);
      request.res.writeHead(200, { 'content-type': 'application/json' });
      request.res.end(JSON.stringify({ status: 'cancelled', usage: null }));
    });
    const url = server.url;
    const handle = { current: null as unknown as UseModelStreamResult };
    function Answer() {
      return <p data-testid="answer">{handle.current.text}</p>;
    }
    function Chat() {
      const chat = useModelStream({ api: `${url}/chat`, cancelApi: `${url}/cancel`, throttle: false });
      handle.current = chat;
      return (
        <ModelStreamProvider stream={chat}>
          <Answer />
          <div>
            <StopButton>Stop</StopButton>
          </div>
        </ModelStreamProvider>
      );
    }
    const user = userEvent.setup();
    render(<Chat />);
    const button = screen.getByRole('button', { name: 'Stop' });
    expect(button.getAttribute('data-state')).toBe('idle');
    let done!: Promise<unknown>;
    act(() => {
      done = handle.current.start('Hi');
    });
    await waitFor(() => expect(screen.getByTestId('answer').textContent).toBe('Hello'), WAIT);
    expect(button.getAttribute('data-state')).toBe('streaming');
    await user.click(button);
    await act(async () => {
      await done;
    });
    expect(server.requests.filter((r) => r.url === '/cancel')).toHaveLength(1);
    expect(handle.current.message?.incomplete).toEqual({ reason: 'cancelled', serverConfirmed: true });
    expect(button.getAttribute('data-state')).toBe('idle');
  });

  it('a stream prop wins over the provided one', async () => {
    const provided = fakeStream('streaming');
    const own = fakeStream('streaming');
    const user = userEvent.setup();
    render(
      <ModelStreamProvider stream={provided}>
        <StopButton stream={own} />
      </ModelStreamProvider>,
    );
    await user.click(screen.getByRole('button', { name: 'Stop generating' }));
    expect(own.stop).toHaveBeenCalledTimes(1);
    expect(provided.stop).not.toHaveBeenCalled();
  });
});

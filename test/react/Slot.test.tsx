// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createRef, StrictMode, useState, version } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StopButton, type StoppableStream } from '../../src/index';
import { failOnConsole } from './setup';

// `StopButton asChild` renders through the library's own minimal Slot (src/react/Slot.tsx, which
// replaced @radix-ui/react-slot: docs/size.md). These pin the merge rules it keeps from Radix.

failOnConsole();
afterEach(cleanup);

function fakeStream(status: StoppableStream['status']) {
  return { status, stop: vi.fn(() => Promise.resolve({ serverConfirmed: true })) };
}

describe('StopButton asChild: merging onto the child', () => {
  it('joins classNames (ours first), merges styles (the child wins per property), joins aria-describedby', () => {
    render(
      <StopButton stream={fakeStream('streaming')} asChild className="ours" style={{ color: 'red', margin: 1 }} aria-describedby="a">
        <a href="#stop" className="theirs" style={{ color: 'blue' }} aria-describedby="b">
          Stop
        </a>
      </StopButton>,
    );
    const link = screen.getByRole('link', { name: 'Stop' });
    expect(link.className).toBe('ours theirs');
    expect(link.style.color).toBe('blue');
    expect(link.style.margin).toBe('1px');
    expect(link.getAttribute('aria-describedby')).toBe('a b');
  });

  it("the child's other props win over ours", () => {
    render(
      <StopButton stream={fakeStream('streaming')} asChild title="ours" id="ours">
        <a href="#stop" title="theirs">
          Stop
        </a>
      </StopButton>,
    );
    const link = screen.getByRole('link', { name: 'Stop' });
    expect(link.getAttribute('title')).toBe('theirs');
    expect(link.id).toBe('ours');
  });

  it("handlers: the child's onClick, then StopButton's onClick, then the stop", async () => {
    const stream = fakeStream('streaming');
    const order: string[] = [];
    stream.stop.mockImplementation(() => {
      order.push('stop');
      return Promise.resolve({ serverConfirmed: true });
    });
    render(
      <StopButton stream={stream} asChild onClick={() => order.push('button')}>
        <a href="#stop" onClick={() => order.push('child')}>
          Stop
        </a>
      </StopButton>,
    );
    await userEvent.setup().click(screen.getByRole('link', { name: 'Stop' }));
    expect(order).toEqual(['child', 'button', 'stop']);
  });

  it("preventDefault in the child's onClick cancels the stop (it runs first)", async () => {
    const stream = fakeStream('streaming');
    render(
      <StopButton stream={stream} asChild>
        <a href="#stop" onClick={(event) => event.preventDefault()}>
          Stop
        </a>
      </StopButton>,
    );
    await userEvent.setup().click(screen.getByRole('link', { name: 'Stop' }));
    expect(stream.stop).not.toHaveBeenCalled();
  });

  it("both refs get the node: StopButton's and the child's (object and callback refs)", () => {
    const ours = createRef<HTMLButtonElement>();
    const theirs = createRef<HTMLAnchorElement>();
    const callback = vi.fn();
    const { unmount } = render(
      <>
        <StopButton stream={fakeStream('streaming')} asChild ref={ours}>
          <a href="#one" ref={theirs}>
            One
          </a>
        </StopButton>
        <StopButton stream={fakeStream('streaming')} asChild>
          <a href="#two" ref={callback}>
            Two
          </a>
        </StopButton>
      </>,
    );
    const one = screen.getByRole('link', { name: 'One' });
    expect(ours.current).toBe(one);
    expect(theirs.current).toBe(one);
    expect(callback).toHaveBeenLastCalledWith(screen.getByRole('link', { name: 'Two' }));
    unmount();
    expect(ours.current).toBeNull();
    expect(theirs.current).toBeNull();
    expect(callback).toHaveBeenLastCalledWith(null);
  });

  // Ref cleanups are a React 19 feature (React 18 ignores what a callback ref returns): not run on 18.
  it.skipIf(!version.startsWith('19.'))('a ref cleanup (React 19) runs on detach, and the other ref is reset', () => {
    const ours = createRef<HTMLButtonElement>();
    const cleanupFn = vi.fn();
    const withCleanup = vi.fn(() => cleanupFn);
    const { unmount } = render(
      <StopButton stream={fakeStream('streaming')} asChild ref={ours}>
        <a href="#stop" ref={withCleanup}>
          Stop
        </a>
      </StopButton>,
    );
    expect(withCleanup).toHaveBeenCalledTimes(1);
    unmount();
    expect(cleanupFn).toHaveBeenCalledTimes(1);
    expect(withCleanup).toHaveBeenCalledTimes(1); // not called again with null: the cleanup replaces that
    expect(ours.current).toBeNull();
  });

  it('the composed ref is stable: a re-render does not detach and re-attach the refs', async () => {
    const callback = vi.fn();
    function Harness() {
      const [count, setCount] = useState(0);
      return (
        <>
          <button type="button" onClick={() => setCount(count + 1)}>
            Re-render {count}
          </button>
          <StopButton stream={fakeStream('streaming')} asChild>
            <a href="#stop" ref={callback}>
              Stop
            </a>
          </StopButton>
        </>
      );
    }
    render(
      <StrictMode>
        <Harness />
      </StrictMode>,
    );
    const calls = callback.mock.calls.length;
    await userEvent.setup().click(screen.getByRole('button', { name: /Re-render/ }));
    expect(screen.getByRole('button', { name: 'Re-render 1' })).toBeTruthy();
    expect(callback.mock.calls.length).toBe(calls);
  });

  it('asChild with something other than one element is a clear error; with nothing it renders nothing', () => {
    // React reports the render error on the console; this test expects it, failOnConsole must not.
    const consoleError = vi.mocked(console.error).mockImplementation(() => {});
    expect(() =>
      render(
        <StopButton stream={fakeStream('streaming')} asChild>
          Stop
        </StopButton>,
      ),
    ).toThrow(/asChild expects a single React element child/);
    consoleError.mockClear();
    cleanup();
    const { container } = render(<StopButton stream={fakeStream('streaming')} asChild />);
    expect(container.innerHTML).toBe('');
  });
});

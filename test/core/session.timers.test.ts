import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { StreamAbortedError } from '../../src/core/errors';
import { Bound, createSessionTimers } from '../../src/core/session/createSessionTimers';

// The session's three clocks on their own (src/core/session/createSessionTimers.ts): the
// first-byte bound, the idle bound restarted by every chunk, the after-finish bound armed once,
// and `clear()` that turns them all off for good.

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(firstByteMs: number, idleMs: number) {
  const timeouts: StreamAbortedError[] = [];
  const windDowns = vi.fn();
  const timers = createSessionTimers(firstByteMs, idleMs, (failure) => timeouts.push(failure), windDowns);
  return { timers, timeouts, windDowns };
}

describe('createSessionTimers', () => {
  test('first byte: times out after firstByteMs without a chunk, naming the option', () => {
    const { timers, timeouts } = setup(1000, 0);
    timers.start();
    vi.advanceTimersByTime(999);
    expect(timeouts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]).toBeInstanceOf(StreamAbortedError);
    expect(timeouts[0]!.reason).toBe('timeout');
    expect(timeouts[0]!.message).toBe('No data for 1000 ms (firstByteTimeoutMs); the stream was aborted.');
  });

  test('first byte: a chunk in time meets it; 0 turns it off', () => {
    const { timers, timeouts } = setup(1000, 0);
    timers.start();
    vi.advanceTimersByTime(900);
    timers.received();
    vi.advanceTimersByTime(10_000);
    expect(timeouts).toEqual([]);

    const off = setup(0, 0);
    off.timers.start();
    vi.advanceTimersByTime(60_000);
    expect(off.timeouts).toEqual([]);
  });

  test('idle: every chunk restarts it; silence of idleMs times out', () => {
    const { timers, timeouts } = setup(0, 500);
    timers.start();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(400);
      timers.received();
    }
    expect(timeouts).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(timeouts.map((failure) => failure.message)).toEqual(['No data for 500 ms (idleTimeoutMs); the stream was aborted.']);
  });

  test('after the finish: the stream has AFTER_FINISH_MS, armed once however many finishes', () => {
    const { timers, windDowns } = setup(0, 0);
    timers.finish();
    vi.advanceTimersByTime(Bound.AFTER_FINISH_MS - 100);
    timers.finish(); // a second finish / error event does not push the bound back
    vi.advanceTimersByTime(100);
    expect(windDowns).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(Bound.AFTER_FINISH_MS * 2);
    expect(windDowns).toHaveBeenCalledTimes(1);
  });

  test('clear: every timer off, and nothing arms them again', () => {
    const { timers, timeouts, windDowns } = setup(1000, 500);
    timers.start();
    timers.received();
    timers.finish();
    timers.clear();
    timers.received();
    timers.finish();
    vi.advanceTimersByTime(60_000);
    expect(timeouts).toEqual([]);
    expect(windDowns).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});

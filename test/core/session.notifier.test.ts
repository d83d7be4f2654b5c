import { afterEach, describe, expect, test, vi } from 'vitest';
import { createNotifier } from '../../src/core/session/createNotifier';
import { manualScheduler } from '../helpers/manualScheduler';

// The session's notifications on their own (src/core/session/createNotifier.ts): one pending
// notification at a time through the scheduler, a forced one for status changes, listeners called
// only when the snapshot changed, and a throwing listener reported without stopping the others.

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('createNotifier', () => {
  test('many schedules before the flush share one notification', () => {
    const manual = manualScheduler();
    const listener = vi.fn();
    const notifier = createNotifier({ scheduler: manual.scheduler }, () => true);
    notifier.subscribe(listener);
    notifier.schedule();
    notifier.schedule();
    notifier.schedule();
    expect(manual.asked()).toBe(1);
    expect(listener).not.toHaveBeenCalled();
    manual.frame();
    expect(listener).toHaveBeenCalledTimes(1);
    notifier.schedule();
    expect(manual.asked()).toBe(2);
  });

  test('flush notifies at once and cancels the scheduled notification', () => {
    const manual = manualScheduler();
    const listener = vi.fn();
    const notifier = createNotifier({ scheduler: manual.scheduler }, () => true);
    notifier.subscribe(listener);
    notifier.schedule();
    notifier.flush();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(manual.queue).toHaveLength(0);
  });

  test('a scheduler that ignores its cancel does not notify twice', () => {
    const flushes: (() => void)[] = [];
    const listener = vi.fn();
    const notifier = createNotifier({ scheduler: (flush) => (flushes.push(flush), () => {}) }, () => true);
    notifier.subscribe(listener);
    notifier.schedule();
    notifier.flush();
    flushes[0]!();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  test('listeners hear only of a change (refresh says whether there was one)', () => {
    let changed = false;
    const listener = vi.fn();
    const notifier = createNotifier({ throttle: false }, () => changed);
    notifier.subscribe(listener);
    notifier.schedule();
    notifier.flush();
    expect(listener).not.toHaveBeenCalled();
    changed = true;
    notifier.schedule(); // throttle: false notifies synchronously
    expect(listener).toHaveBeenCalledTimes(1);
  });

  test('the scheduler follows throttle: a number is an interval, the default a frame', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const listener = vi.fn();
    const interval = createNotifier({ throttle: 100 }, () => true);
    interval.subscribe(listener);
    interval.schedule();
    vi.advanceTimersByTime(99);
    expect(listener).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(listener).toHaveBeenCalledTimes(1);

    // No requestAnimationFrame in Node: the frame scheduler falls back to a 16 ms timer.
    const frame = createNotifier({}, () => true);
    frame.subscribe(listener);
    frame.schedule();
    vi.advanceTimersByTime(16);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  test('a throwing listener is reported; the others still hear; unsubscribe stops a listener', () => {
    const errors: unknown[] = [];
    vi.spyOn(console, 'error').mockImplementation((error) => void errors.push(error));
    const failure = new Error('listener bug');
    const second = vi.fn();
    const notifier = createNotifier({ throttle: false }, () => true);
    const unsubscribe = notifier.subscribe(() => {
      throw failure;
    });
    notifier.subscribe(second);
    notifier.flush();
    expect(second).toHaveBeenCalledTimes(1);
    expect(errors).toEqual(typeof reportError === 'function' ? [] : [failure]);
    unsubscribe();
    notifier.flush();
    expect(second).toHaveBeenCalledTimes(2);
    expect(errors.length).toBeLessThanOrEqual(1);
  });
});

import type { NotifyScheduler } from '../../src/core/scheduler';

/**
 * A scheduler the test flushes by hand: a notification happens only when the test says so (a
 * frame). `asked`: how many flushes were scheduled; `pending`: how many wait.
 */
export function manualScheduler() {
  const queue: (() => void)[] = [];
  let asked = 0;
  const scheduler: NotifyScheduler = (flush) => {
    asked++;
    queue.push(flush);
    return () => {
      const index = queue.indexOf(flush);
      if (index !== -1) queue.splice(index, 1);
    };
  };
  return { scheduler, queue, asked: () => asked, frame: () => queue.splice(0).forEach((flush) => flush()), pending: () => queue.length };
}

import { createDeferred, type Deferred } from '../core/internal/createDeferred';

/** Promises per index, resolved by the server or asked for first by a test; `next()` walks them in order. */
export function createMilestones<T>() {
  const byIndex = new Map<number, Deferred<T>>();
  let awaited = 0;
  const of = (index: number) => {
    let entry = byIndex.get(index);
    if (!entry) byIndex.set(index, (entry = createDeferred<T>()));
    return entry;
  };
  return { of, next: (index?: number) => of(index ?? awaited++).promise };
}

/** Promises per index, resolved by the server or asked for first by a test; `next()` walks them in order. */
export function createMilestones<T>() {
  const byIndex = new Map<number, { promise: Promise<T>; resolve: (value: T) => void }>();
  let awaited = 0;
  const of = (index: number) => {
    let entry = byIndex.get(index);
    if (!entry) {
      let resolve!: (value: T) => void;
      const promise = new Promise<T>((r) => (resolve = r));
      byIndex.set(index, (entry = { promise, resolve }));
    }
    return entry;
  };
  return { of, next: (index?: number) => of(index ?? awaited++).promise };
}

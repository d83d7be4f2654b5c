import type { applyOtherTabWrite } from './applyOtherTabWrite';

/** For the page: the merge once loaded (every later write of another tab is merged synchronously), and its load while under way. */
let merge: typeof applyOtherTabWrite | undefined;
let loading: Promise<unknown> | undefined;

/**
 * The merge of another tab's write (`applyOtherTabWrite` with `mergeFromOtherTab`) is a chunk of its own, requested at the
 * first write another tab makes (the first `storage` event for a persisted store): a page alone on
 * its storage never downloads it (docs/size.md, "The cross-tab merge, loaded lazily"). Settles
 * with the merge once it loaded, `undefined` when the load failed (forgotten: the next write of
 * another tab tries again); never rejects.
 */
export const loadTabMerge = (): Promise<typeof applyOtherTabWrite | undefined> =>
  merge
    ? Promise.resolve(merge)
    : (loading ??= import('./lazy/applyOtherTabWrite').then(
        (module) => (merge = module.applyOtherTabWrite),
        () => (loading = undefined),
      )).then(() => merge);

/** The merge when it is loaded, else `undefined`. */
export const loadedTabMerge = (): typeof applyOtherTabWrite | undefined => merge;

/** Sets the merge at once, synchronously (tests, as `provideDecoders`). Shaken off in an app. */
export function provideTabMerge(loaded: typeof applyOtherTabWrite): void {
  merge ??= loaded;
}

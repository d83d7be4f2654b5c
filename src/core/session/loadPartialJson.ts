import type { ParserSource } from '../createToolCalls';
import type { createParser } from '../partialJson';

/** For the page: the parser's factory once loaded (every later session is synchronous), and its load while under way. */
let factory: typeof createParser | undefined;
let loading: Promise<unknown> | undefined;

/** Loads the parser's chunk, once a page at a time (a failed load is forgotten); settles once it did, never rejects. */
export const loadPartialJson = (): Promise<unknown> =>
  (loading ??= import('../lazy/partialJson').then(
    (module) => (factory = module.createParser),
    () => (loading = undefined),
  ));

/**
 * The stream session's partial JSON parsers (a `ParserSource`): the parser is a chunk of its own,
 * requested at the first tool call of a page, since only streams with tool calls use it (docs/size.md,
 * "The partial JSON parser, loaded lazily"). While it loads a call has no parser: its text streams,
 * its partial `args` stay `null`, and the stream never waits for it. On its arrival each open call
 * gets its parser and `changed` is called (the session paints). A load that failed is forgotten:
 * the next call tries again.
 */
export const partialJsonParsers =
  (changed: () => void): ParserSource =>
  (ready) => {
    if (factory) return factory();
    void loadPartialJson().then(() => factory && (ready(), changed()));
  };

/** Sets the parser at once, synchronously (the testing kit, as `provideHandlers`). Shaken off in an app. */
export function provideParser(parser: typeof createParser): void {
  factory ??= parser;
}

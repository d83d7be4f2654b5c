import { staticHandlers } from '../core/decoders/staticHandlers';
import { createParser } from '../core/partialJson';
import { provideHandlers } from '../core/session/loadHandler';
import { provideParser } from '../core/session/loadPartialJson';

/**
 * Gives the stream session every protocol handler and the partial JSON parser at once. In an app
 * they are chunks loaded on first use (docs/size.md); in a test that load is a module import that
 * fake timers do not advance, so a test's first stream would wait for it. The kit calls this when
 * a mock model is made; tests are not size-bound.
 */
export function provideDecoders(): void {
  provideHandlers(staticHandlers);
  provideParser(createParser);
}

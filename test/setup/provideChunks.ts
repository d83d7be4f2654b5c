import { provideTabMerge } from '../../src/store/loadTabMerge';
import { applyOtherTabWrite } from '../../src/store/applyOtherTabWrite';
import { provideDecoders } from '../../src/testing/provideDecoders';

// Every test file starts as a page whose lazy chunks (the protocol decoders, the partial JSON
// parser, the store's cross-tab merge: docs/size.md) are loaded, so what a test asserts does not
// depend on how fast a module import is under load (a Stop right after a first tool call's deltas found the parser not yet
// there, and its partial `args` null, on a loaded CI machine). The lazy path itself is tested with
// fresh modules (`vi.resetModules()`: test/core/session.lazyHandlers.test.ts,
// session.lazyPartialJson.test.ts, test/store/crossTab.lazyMerge.test.ts), in the Storybook
// stories and in e2e, in Chromium.
provideDecoders();
provideTabMerge(applyOtherTabWrite);

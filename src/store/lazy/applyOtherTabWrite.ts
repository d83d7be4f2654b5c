// The cross-tab sync's import() target (loadTabMerge.ts): a module no other imports statically, so
// a library build (Rolldown) makes it a chunk of its own whose export is the function itself, not
// a namespace object built by a shared runtime helper (the reason of core/decoders/lazy/*,
// docs/size.md).
export { applyOtherTabWrite } from '../applyOtherTabWrite';

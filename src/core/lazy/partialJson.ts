// The stream session's import() target for the partial JSON parser (session/loadPartialJson.ts): a
// module no other imports statically, so a library build (Rolldown) makes it a chunk of its own
// whose export is the parser's factory itself, not a namespace object built by a shared runtime helper
// (the reason of decoders/lazy/*, docs/size.md).
export { createParser } from '../partialJson';

// The session's import() target for this handler (session/loadHandler.ts): a module no other
// imports statically, so a library build (Rolldown) makes it a chunk of its own whose exports are
// the handler itself, not a namespace object built by a shared runtime helper. The same export name
// in every one: the loader reads it once for the four (fewer bytes in every app).
export { createOpenAIResponsesHandler as handler } from '../openaiResponses';

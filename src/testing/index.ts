/**
 * `react-model-stream/testing`: a mock model server for tests and stories of your own chat UI, with
 * no model and no network — scripted answers in any of the six wire formats, a working cancel
 * endpoint, and faults on demand, served through MSW handlers or a plain `fetch`. Needs `msw` (2.x)
 * installed; imports no React. Never import it from app code: it is not part of the main entry.
 */
export { createMockModelServer } from './createMockModelServer';
export type { MockModelServer } from './MockModelServer';
export type { MockModelServerOptions, MockModelFaults, MockCancelFault, MockScript } from './MockModelServerOptions';
export type { MockStreamRequest, MockCancelRequest } from './createRecorder';
export { createToolLoopScript, type ToolLoopStep } from '../server/fakeModel/createToolLoopScript';
export { readToolHistory, type ToolHistory, type ToolHistoryResult } from '../server/fakeModel/readToolHistory';
export { TOOL_LOOP_FAKE_STEPS } from '../server/fakeModel/toolLoopFakeSteps';
export { tokenize, DEFAULT_FAKE_SCRIPT, type FakeModelScript, type FakeModelRun } from '../server/fakeModel/createFakeModel';
export type { Protocol } from '../core/types';

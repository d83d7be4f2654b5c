/**
 * `react-model-stream/testing`: a mock model server for tests and stories of your own chat UI, with
 * no model and no network — scripted answers in any of the six wire formats, a working cancel
 * endpoint, and faults on demand, served through MSW handlers or a plain `fetch`. Needs `msw` (2.x)
 * installed; imports no React. Never import it from app code: it is not part of the main entry.
 */
export {
  createMockModelServer,
  type MockModelServer,
  type MockModelServerOptions,
  type MockModelFaults,
  type MockCancelFault,
  type MockScript,
  type MockStreamRequest,
  type MockCancelRequest,
} from './createMockModelServer';
export { tokenize, DEFAULT_FAKE_SCRIPT, type FakeModelScript, type FakeModelRun } from '../server/fakeModel/createFakeModel';
export type { Protocol } from '../core/types';

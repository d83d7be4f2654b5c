import type { InMemoryStreamRegistry } from '../server/createStreamRegistry';
import type { FakeModel } from '../server/fakeModel/createFakeModel';
import type { MockModelServerOptions } from './MockModelServerOptions';
import type { Recorder } from './createRecorder';

/** The options a mock model server can change after creation (`update`, `reset`). */
export type MockModelSettings = Omit<MockModelServerOptions, 'api' | 'cancelApi'>;

/** What the stream and cancel endpoints of a mock model server share. */
export type MockServerContext = {
  /** The options now in force, read as each request arrives. */
  readonly settings: MockModelSettings;
  /** The stream registry shared by the two endpoints. */
  readonly registry: InMemoryStreamRegistry;
  /** The fake model that generates the answers. */
  readonly model: FakeModel;
  readonly recorder: Recorder;
};

import { afterEach, describe, expect, it } from 'vitest';
import { createMessageStore } from '../../src/store/index';
import { createTurnController } from '../../src/turns/createTurnController';
import { startResumeServer, type ResumeServer } from '../helpers/resumeServer';
import { recordingRunCancel } from './helpers';

// `resumeApi` and `reconnect` through the turns layer (what `useModelStream` passes on), against
// the resume contract server: the session reconnects, and the store's message stays `streaming`
// all the while (docs/resume.md).

let server: ResumeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('a turn with resumeApi', () => {
  it('a dropped answer is resumed; the store message is `streaming` while reconnecting, then complete and whole', async () => {
    server = await startResumeServer({ protocol: 'ai-sdk', cuts: [{ event: 12, bytes: 5 }] });
    const store = createMessageStore();
    const { runCancel } = recordingRunCancel<string>();
    const controller = createTurnController<string, string>(
      { api: `${server.url}/stream`, resumeApi: `${server.url}/resume`, reconnect: { minDelayMs: 1, maxDelayMs: 2 }, store, throttle: false },
      runCancel,
    );
    const sessionStatuses: string[] = [];
    const messageStatuses: string[] = [];
    const done = controller.start('Hi', 'client');
    const turn = controller.get()!;
    turn.session.subscribe(() => {
      sessionStatuses.push(turn.session.getSnapshot().status);
      messageStatuses.push(store.getState().messages[turn.messageId]!.status);
    });
    const final = await done;
    expect(sessionStatuses).toContain('reconnecting');
    expect(messageStatuses.slice(0, -1).every((status) => status === 'streaming')).toBe(true);
    expect(final.status).toBe('complete');
    expect(final.text).toContain('Patience gives a smoother, sweeter cup ☕ every morning.');
    expect(server.resumes).toHaveLength(1);
  });
});

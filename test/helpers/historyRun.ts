import { vi } from 'vitest';
import { createStreamSession } from '../../src/core/createStreamSession';
import type { AccumulatedMessage } from '../../src/core/accumulator';
import type { Protocol } from '../../src/core/types';
import { createMessageStore } from '../../src/store/createMessageStore';
import { getConversationMessages } from '../../src/store/getConversationMessages';
import type { Message, ToolExecution } from '../../src/store/types';
import { startHttpServer, type TestServer } from './httpServer';
import { SSE_HEADERS } from './sse';

// A tool run as the app has it, through the real pipeline: each step's bytes are served by a real
// node:http server on 127.0.0.1, read by a real stream session (decoder, accumulator, Stop = the
// local abort), mirrored into a real message store with `applySessionSnapshot`, tool executions
// stored with `setToolExecution`. A Stop between steps does what useModelStream does (docs/tools.md,
// "Stop while…"): the calls still running or awaiting approval become cancelled/stopped, and the
// step's message incomplete/cancelled.

const WAIT = { timeout: 10_000, interval: 5 };

export type HistoryRun = {
  /** Appends the user's message. */
  user(text: string): void;
  /** Streams one step; with `stopWhen`, the server holds the stream open and the user stops once the message satisfies it. */
  step(bytes: string, stopWhen?: (message: AccumulatedMessage) => boolean): Promise<Message>;
  /** Stores a tool call's execution. */
  execute(message: Message, callId: string, execution: ToolExecution): void;
  /** A Stop after the step's stream ended (a tool running, a call awaiting approval). */
  stopBetweenSteps(message: Message): void;
  /** The conversation's messages, oldest first. */
  history(): readonly Message[];
  close(): Promise<void>;
};

export async function startHistoryRun(protocol: Protocol): Promise<HistoryRun> {
  const steps: { bytes: string; hold: boolean }[] = [];
  const server: TestServer = await startHttpServer(({ url, res }) => {
    const step = steps[Number(url.split('/').at(-1))]!;
    res.writeHead(200, SSE_HEADERS);
    res.write(step.bytes);
    if (!step.hold) res.end();
  });
  const store = createMessageStore();
  const conversationId = store.getState().createConversation().id;
  const state = () => store.getState();

  return {
    user: (text) => void state().appendMessage(conversationId, { role: 'user', text }),
    async step(bytes, stopWhen) {
      const n = steps.push({ bytes, hold: stopWhen !== undefined }) - 1;
      const session = createStreamSession({ api: `${server.url}/step/${n}`, protocol, throttle: false });
      const { id } = state().appendMessage(conversationId, { role: 'assistant', status: 'streaming' });
      const unsubscribe = session.subscribe(() => state().applySessionSnapshot(id, session.getSnapshot()));
      const done = session.start();
      if (stopWhen) {
        await vi.waitFor(() => {
          if (!stopWhen(session.getSnapshot().message)) throw new Error(`step ${n} has not reached its stop point`);
        }, WAIT);
        await session.stop();
      }
      state().applySessionSnapshot(id, await done);
      unsubscribe();
      return state().messages[id]!;
    },
    execute: (message, callId, execution) => void state().setToolExecution(message.id, callId, execution),
    stopBetweenSteps(message) {
      for (const call of state().messages[message.id]!.toolCalls) {
        const running = call.execution?.state === 'running' || call.execution?.state === 'awaiting-approval';
        if (running || !call.execution) state().setToolExecution(message.id, call.id, { state: 'cancelled', reason: 'stopped' });
      }
      state().updateMessage(message.id, { status: 'incomplete', incomplete: { reason: 'cancelled', serverConfirmed: false } });
    },
    history: () => getConversationMessages(state(), conversationId),
    close: () => server.close(),
  };
}

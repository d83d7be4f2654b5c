import type { AccumulatedMessage } from '../../src/core/accumulator';
import type { Protocol } from '../../src/core/types';
import type { Message } from '../../src/store/types';
import { startHistoryRun, type HistoryRun } from './historyRun';
import { anthropic, chat, responses } from './historyStreams';

// The runs the history tests send back, played through the real pipeline (test/helpers/historyRun.ts)
// with each provider's wire bytes: a tool loop with thinking / reasoning, stopped at every point a
// user can stop it. Shared by test/store/history.rules.test.ts and history.sdkTypes.test.ts.

/** One provider's steps: a step that calls `get_time`, an answer, and the cut-off steps. */
type Wire = {
  protocol: Protocol;
  /** Thinks (signed), says it will check, calls get_time({"city":"Lyon"}) as `callId`. */
  callStep(n: number): string;
  /** Thinks (signed) and answers `text`. */
  answerStep(n: number, text: string): string;
  /** Cut mid-thinking: a first block complete when `afterBlock`, then a block cut before its signature. */
  cutThinking(n: number, afterBlock: boolean): { bytes: string; stopWhen: (message: AccumulatedMessage) => boolean };
  /** Thinks (signed), says it will check, then a call cut mid-arguments. */
  cutArguments(n: number): { bytes: string; stopWhen: (message: AccumulatedMessage) => boolean };
};

/** The id of step `n`'s call (each step's call has its own, as with the providers). */
export const callId = (protocol: Protocol, n: number) => (protocol === 'anthropic' ? `toolu_01Time${n}` : `call_time_${n}`);
const CUT_THINKING = 'The user wants';

export const WIRES: Record<'anthropic' | 'openai-responses' | 'openai-chat', Wire> = {
  anthropic: {
    protocol: 'anthropic',
    callStep: (n) =>
      anthropic.start(`msg_${n}`) +
      anthropic.thinking(0, ['Need the clock', ' for Lyon.'], `sig-call-${n}`) +
      anthropic.text(1, 'Let me check. ') +
      anthropic.toolUse(2, callId('anthropic', n), 'get_time', ['{"city":', '"Lyon"}']) +
      anthropic.end('tool_use'),
    answerStep: (n, text) => anthropic.start(`msg_${n}`) + anthropic.thinking(0, ['I have the result.'], `sig-answer-${n}`) + anthropic.text(1, text) + anthropic.end('end_turn'),
    cutThinking: (n, afterBlock) => ({
      bytes: anthropic.start(`msg_${n}`) + (afterBlock ? anthropic.thinking(0, ['First thought.'], 'sig-first') : '') + anthropic.thinking(afterBlock ? 1 : 0, [CUT_THINKING]),
      stopWhen: (message) => message.reasoning.endsWith(CUT_THINKING),
    }),
    cutArguments: (n) => ({
      bytes: anthropic.start(`msg_${n}`) + anthropic.thinking(0, ['Need the clock.'], 'sig-cut') + anthropic.text(1, 'Let me check.') + anthropic.toolUse(2, callId('anthropic', n), 'get_time', ['{"ci'], true),
      stopWhen: (message) => message.toolCalls[0]?.argsText === '{"ci',
    }),
  },
  'openai-responses': {
    protocol: 'openai-responses',
    callStep: (n) => {
      const r = responses(`resp_${n}`);
      return r.start() + r.reasoning(`rs_call_${n}`, ['**Clock**\n\nNeed the clock for Lyon.'], `enc-call-${n}`) + r.functionCall(`fc_${n}`, callId('openai-responses', n), 'get_time', ['{"city":', '"Lyon"}']) + r.end();
    },
    answerStep: (n, text) => {
      const r = responses(`resp_${n}`);
      return r.start() + r.reasoning(`rs_answer_${n}`, ['I have the result.'], null) + r.message(`msg_${n}`, text) + r.end();
    },
    cutThinking: (n, afterBlock) => {
      const r = responses(`resp_${n}`);
      return {
        bytes: r.start() + (afterBlock ? r.reasoning(`rs_first_${n}`, ['First thought.'], 'enc-first') : '') + r.reasoning(`rs_cut_${n}`, [CUT_THINKING], null, false),
        stopWhen: (message) => message.reasoning.endsWith(CUT_THINKING),
      };
    },
    cutArguments: (n) => {
      const r = responses(`resp_${n}`);
      return {
        bytes: r.start() + r.reasoning(`rs_cut_${n}`, ['Need the clock.'], 'enc-cut') + r.functionCall(`fc_${n}`, callId('openai-responses', n), 'get_time', ['{"ci'], true),
        stopWhen: (message) => message.toolCalls[0]?.argsText === '{"ci',
      };
    },
  },
  'openai-chat': {
    protocol: 'openai-chat',
    callStep: (n) => {
      const c = chat(`chatcmpl-${n}`);
      return c.text('Let me check. ') + c.toolCall(0, callId('openai-chat', n), 'get_time', ['{"city":', '"Lyon"}']) + c.end('tool_calls');
    },
    answerStep: (n, text) => {
      const c = chat(`chatcmpl-${n}`);
      return c.text(text) + c.end('stop');
    },
    // Chat carries no reasoning: the cut comes mid-text.
    cutThinking: (n) => ({ bytes: chat(`chatcmpl-${n}`).text('It is'), stopWhen: (message) => message.text === 'It is' }),
    cutArguments: (n) => {
      const c = chat(`chatcmpl-${n}`);
      return { bytes: c.text('Let me check.') + c.toolCall(0, callId('openai-chat', n), 'get_time', ['{"ci']), stopWhen: (message) => message.toolCalls[0]?.argsText === '{"ci' };
    },
  },
};

export type ScenarioName =
  | 'complete two-step run'
  | 'mid tool loop (next step request)'
  | 'stopped while a tool runs'
  | 'awaiting approval (not stopped)'
  | 'stopped awaiting approval'
  | 'stopped mid-thinking'
  | 'stopped mid-thinking after a complete block'
  | 'stopped mid-tool-call arguments'
  | 'denied call';

type Scenario = (run: HistoryRun, wire: Wire) => Promise<void>;

const firstStep = async (run: HistoryRun, wire: Wire): Promise<Message> => {
  run.user('What time is it in Lyon?');
  return run.step(wire.callStep(0));
};

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  'complete two-step run': async (run, wire) => {
    const step = await firstStep(run, wire);
    run.execute(step, callId(wire.protocol, 0), { state: 'done', result: { time: '10:42' } });
    await run.step(wire.answerStep(1, 'It is 10:42 in Lyon.'));
    run.user('Thanks! And in Tokyo?');
  },
  'mid tool loop (next step request)': async (run, wire) => {
    const step = await firstStep(run, wire);
    run.execute(step, callId(wire.protocol, 0), { state: 'done', result: { time: '10:42' } });
  },
  'stopped while a tool runs': async (run, wire) => {
    const step = await firstStep(run, wire);
    run.execute(step, callId(wire.protocol, 0), { state: 'running' });
    run.stopBetweenSteps(step);
    run.user('Never mind.');
  },
  // The user writes while a call waits for approval (another lane): the call has no result yet.
  'awaiting approval (not stopped)': async (run, wire) => {
    const step = await firstStep(run, wire);
    run.execute(step, callId(wire.protocol, 0), { state: 'awaiting-approval' });
    run.user('Actually, what about Paris?');
  },
  'stopped awaiting approval': async (run, wire) => {
    const step = await firstStep(run, wire);
    run.execute(step, callId(wire.protocol, 0), { state: 'awaiting-approval' });
    run.stopBetweenSteps(step);
    run.user('Never mind.');
  },
  'stopped mid-thinking': async (run, wire) => {
    run.user('What time is it in Lyon?');
    const cut = wire.cutThinking(0, false);
    await run.step(cut.bytes, cut.stopWhen);
    run.user('Hello?');
  },
  'stopped mid-thinking after a complete block': async (run, wire) => {
    run.user('What time is it in Lyon?');
    const cut = wire.cutThinking(0, true);
    await run.step(cut.bytes, cut.stopWhen);
    run.user('Hello?');
  },
  'stopped mid-tool-call arguments': async (run, wire) => {
    run.user('What time is it in Lyon?');
    const cut = wire.cutArguments(0);
    await run.step(cut.bytes, cut.stopWhen);
    run.user('Hello?');
  },
  'denied call': async (run, wire) => {
    const step = await firstStep(run, wire);
    run.execute(step, callId(wire.protocol, 0), { state: 'denied', reason: 'Not now' });
    await run.step(wire.answerStep(1, "All right, I won't check."));
    run.user('OK, guess then.');
  },
};

/** Plays a scenario on a fresh run and returns the stored history. */
export async function playScenario(protocol: keyof typeof WIRES, name: ScenarioName, extraSteps?: (run: HistoryRun) => Promise<void>): Promise<readonly Message[]> {
  const run = await startHistoryRun(protocol);
  try {
    await SCENARIOS[name](run, WIRES[protocol]);
    await extraSteps?.(run);
    return run.history();
  } finally {
    await run.close();
  }
}

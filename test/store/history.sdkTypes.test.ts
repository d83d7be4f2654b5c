import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { toModelMessages, type Message } from '../../src/store';
import { startHistoryRun } from '../helpers/historyRun';
import { callId, WIRES } from '../helpers/historyScenarios';
import { anthropicViolations, chatViolations, responsesViolations } from '../helpers/providerRules';

// toModelMessages' output for stopped multi-step runs with thinking / reasoning and tool results,
// checked against the official SDKs' request types (`satisfies`, compiled by `npm run typecheck`,
// which `npm test` runs first: tsconfig.json includes test/) and against the providers' rules.
// The SDKs are devDependencies: the library's own types are structural and never import them.

type Format = keyof typeof WIRES;

/**
 * Step 1 calls get_time, the tool answers; step 2 thinks and calls again, and the user stops it —
 * `'tool'`: while its tool runs; `'stream'`: mid-arguments, the stream itself stopped. Then the user asks again.
 */
async function stoppedTwoStepRun(format: Format, stop: 'tool' | 'stream'): Promise<readonly Message[]> {
  const wire = WIRES[format];
  const run = await startHistoryRun(wire.protocol);
  try {
    run.user('What time is it in Lyon?');
    const first = await run.step(wire.callStep(0));
    run.execute(first, callId(wire.protocol, 0), { state: 'done', result: { time: '10:42' } });
    if (stop === 'tool') {
      const second = await run.step(wire.callStep(1));
      run.execute(second, callId(wire.protocol, 1), { state: 'running' });
      run.stopBetweenSteps(second);
    } else {
      const cut = wire.cutArguments(1);
      await run.step(cut.bytes, cut.stopWhen);
    }
    run.user('Stop. What about Tokyo?');
    return run.history();
  } finally {
    await run.close();
  }
}

describe.each(['tool', 'stream'] as const)('a multi-step run stopped (%s) type-checks against the SDK request types', (stop) => {
  it('Anthropic: MessageParam[], in a request with extended thinking on', async () => {
    const history = await stoppedTwoStepRun('anthropic', stop);
    for (const incomplete of ['drop', 'close'] as const) {
      const messages = toModelMessages(history, { format: 'anthropic', incomplete }) satisfies Anthropic.MessageParam[];
      const request = {
        model: 'claude-sonnet-4-5',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages,
      } satisfies Anthropic.MessageCreateParamsNonStreaming;
      expect(request.messages.flatMap((m) => m.content.map((b) => b.type))).toContain('thinking');
      expect(anthropicViolations(request.messages, { thinking: true })).toEqual([]);
    }
  });

  it('OpenAI Responses: ResponseInputItem[], in a store: false request', async () => {
    const history = await stoppedTwoStepRun('openai-responses', stop);
    for (const incomplete of ['drop', 'close'] as const) {
      const input = toModelMessages(history, { format: 'openai-responses', incomplete }) satisfies OpenAI.Responses.ResponseInputItem[];
      const request = {
        model: 'o4-mini',
        store: false,
        include: ['reasoning.encrypted_content'],
        input,
      } satisfies OpenAI.Responses.ResponseCreateParamsNonStreaming;
      expect(request.input.map((item) => item.type)).toContain('reasoning');
      expect(responsesViolations(request.input)).toEqual([]);
    }
  });

  it('OpenAI Chat: ChatCompletionMessageParam[]', async () => {
    const history = await stoppedTwoStepRun('openai-chat', stop);
    for (const incomplete of ['drop', 'close'] as const) {
      const messages = toModelMessages(history, { format: 'openai-chat', incomplete }) satisfies OpenAI.Chat.ChatCompletionMessageParam[];
      const request = { model: 'gpt-4.1-mini', messages } satisfies OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      expect(request.messages.map((m) => m.role)).toContain('tool');
      expect(chatViolations(request.messages)).toEqual([]);
    }
  });
});

it('the SDK types are strict where it matters (so the checks above mean something)', () => {
  // @ts-expect-error Anthropic requires a thinking block's signature.
  const unsigned: Anthropic.ThinkingBlockParam = { type: 'thinking', thinking: 'x' };
  // @ts-expect-error A Responses reasoning item needs its summary.
  const noSummary: OpenAI.Responses.ResponseReasoningItem = { type: 'reasoning', id: 'rs_1' };
  // @ts-expect-error A Chat assistant message has no reasoning field.
  const withReasoning: OpenAI.Chat.ChatCompletionAssistantMessageParam = { role: 'assistant', content: 'x', reasoning: 'y' };
  expect([unsigned, noSummary, withReasoning]).toHaveLength(3);
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CANCELLED_TOOL_RESULT, DEFAULT_STOPPED_NOTE, STOPPED_TOOL_RESULT, toModelMessages, type Message, type ToModelMessagesOptions } from '../../src/store';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { startHistoryRun, type HistoryRun } from '../helpers/historyRun';
import { anthropic, responses, webSearchCall } from '../helpers/historyStreams';
import { callId, playScenario, SCENARIOS, type ScenarioName } from '../helpers/historyScenarios';
import { anthropicViolations, chatViolations, responsesViolations } from '../helpers/providerRules';

// History that providers accept, for runs played through the real pipeline (local server, stream
// session, store): every output checked against the providers' documented rules
// (test/helpers/providerRules.ts), and the reasoning sent back as the stream had it.

const OPTIONS: Record<string, Omit<ToModelMessagesOptions, 'format'>> = {
  default: {},
  'close + note': { incomplete: { toolCalls: 'close', note: true } },
  'reasoning: false': { reasoning: false },
};

const NAMES = Object.keys(SCENARIOS) as ScenarioName[];

describe.each(['anthropic', 'openai-responses', 'openai-chat'] as const)('%s: every stopped or finished run gives a history the provider accepts', (format) => {
  it.each(NAMES)('%s', async (name) => {
    const history = await playScenario(format, name);
    for (const [label, options] of Object.entries(OPTIONS)) {
      if (format === 'anthropic') {
        const out = toModelMessages(history, { ...options, format });
        // With reasoning sent, the request may have extended thinking on (the tool-loop rule applies).
        expect(anthropicViolations(out, { thinking: options.reasoning !== false }), label).toEqual([]);
      } else if (format === 'openai-responses') {
        expect(responsesViolations(toModelMessages(history, { ...options, format })), label).toEqual([]);
      } else {
        expect(chatViolations(toModelMessages(history, { ...options, format })), label).toEqual([]);
      }
    }
  });
});

/** The reasoning parts the store kept, in order, for the messages given. */
const storedParts = (history: readonly Message[]) => history.flatMap((m) => m.reasoningParts ?? []);

describe("'anthropic': thinking blocks", () => {
  it('a finished two-step run sends each step thinking first, unmodified with its signature, then text and tool_use', async () => {
    const history = await playScenario('anthropic', 'complete two-step run');
    expect(toModelMessages(history, { format: 'anthropic' })).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What time is it in Lyon?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Need the clock for Lyon.', signature: 'sig-call-0' },
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: callId('anthropic', 0), name: 'get_time', input: { city: 'Lyon' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: callId('anthropic', 0), content: '{"time":"10:42"}' }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I have the result.', signature: 'sig-answer-1' },
          { type: 'text', text: 'It is 10:42 in Lyon.' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Thanks! And in Tokyo?' }] },
    ]);
  });

  it('the next request of a tool loop starts its assistant message with the thinking (the extended-thinking tool rule)', async () => {
    const history = await playScenario('anthropic', 'mid tool loop (next step request)');
    const out = toModelMessages(history, { format: 'anthropic' });
    expect(out.at(-2)!.content[0]).toEqual({ type: 'thinking', thinking: 'Need the clock for Lyon.', signature: 'sig-call-0' });
    expect(anthropicViolations(out, { thinking: true })).toEqual([]);
    // Without its thinking the same request breaks the rule: the validator sees it.
    expect(anthropicViolations(toModelMessages(history, { format: 'anthropic', reasoning: false }), { thinking: true })).toContain(
      'tool loop: the assistant message does not start with a thinking block',
    );
  });

  it('redacted thinking (fixture c-7) goes back where it was, between the thinking blocks, before text and tool_use', async () => {
    const run = await startHistoryRun('anthropic');
    try {
      run.user('What time is it?');
      const bytes = readFileSync(join(FIXTURES_DIR, 'c-anthropic-messages', '7-thinking-redacted-empty-tool-input.sse'), 'utf8');
      const step = await run.step(bytes);
      run.execute(step, 'toolu_01FXc7Now000000000000001', { state: 'done', result: '10:42' });
      const out = toModelMessages(run.history(), { format: 'anthropic' });
      expect(out[1]!.content).toEqual([
        { type: 'thinking', thinking: 'The user wants the time. A tool gives it.', signature: 'RlhjN1NpZ25hdHVyZUJsb2NrT25lbm90cmVhbA==' },
        { type: 'redacted_thinking', data: 'RlhjN1JlZGFjdGVkVGhpbmtpbmdub3RyZWFsZGF0YQ==' },
        { type: 'thinking', thinking: 'It takes no input.', signature: 'RlhjN1NpZ25hdHVyZUJsb2NrVHdvbm90cmVhbA==' },
        { type: 'text', text: 'Let me check the clock.' },
        { type: 'tool_use', id: 'toolu_01FXc7Now000000000000001', name: 'get_current_time', input: {} },
      ]);
      expect(anthropicViolations(out, { thinking: true })).toEqual([]);
    } finally {
      await run.close();
    }
  });

  it('interleaved thinking (between tool calls) goes back between them, each call answered', async () => {
    const run = await startHistoryRun('anthropic');
    try {
      run.user('Time in Lyon and Tokyo?');
      const bytes =
        anthropic.start('msg_i') +
        anthropic.thinking(0, ['Lyon first.'], 'sig-a') +
        anthropic.toolUse(1, 'toolu_a', 'get_time', ['{"city":"Lyon"}']) +
        anthropic.thinking(2, ['Now Tokyo.'], 'sig-b') +
        anthropic.text(3, 'And Tokyo.') +
        anthropic.toolUse(4, 'toolu_b', 'get_time', ['{"city":"Tokyo"}']) +
        anthropic.end('tool_use');
      const step = await run.step(bytes);
      run.execute(step, 'toolu_a', { state: 'done', result: '10:42' });
      run.execute(step, 'toolu_b', { state: 'done', result: '17:42' });
      const out = toModelMessages(run.history(), { format: 'anthropic' });
      expect(out[1]!.content.map((b) => (b.type === 'thinking' ? b.signature : b.type === 'tool_use' ? b.id : b.type))).toEqual(['sig-a', 'toolu_a', 'sig-b', 'text', 'toolu_b']);
      expect(anthropicViolations(out, { thinking: true })).toEqual([]);
    } finally {
      await run.close();
    }
  });

  it("thinking mid-text splits the text around it; another provider's format gets the text whole and no reasoning", async () => {
    const run = await startHistoryRun('anthropic');
    try {
      run.user('Hi');
      await run.step(anthropic.start('msg_m') + anthropic.text(0, 'Part one. ') + anthropic.thinking(1, ['Go on.'], 'sig-m') + anthropic.text(2, 'Part two.') + anthropic.end('end_turn'));
      run.user('And?');
      expect(toModelMessages(run.history(), { format: 'anthropic' })[1]!.content).toEqual([
        { type: 'text', text: 'Part one.' },
        { type: 'thinking', thinking: 'Go on.', signature: 'sig-m' },
        { type: 'text', text: 'Part two.' },
      ]);
      expect(toModelMessages(run.history(), { format: 'openai-responses' })[1]).toEqual({ type: 'message', role: 'assistant', content: 'Part one. Part two.' });
    } finally {
      await run.close();
    }
  });

  it('every thinking block sent is a stored one, unmodified and in stream order', async () => {
    for (const name of NAMES) {
      const history = await playScenario('anthropic', name);
      const sent = toModelMessages(history, { format: 'anthropic', incomplete: 'close' }).flatMap((m) => m.content.filter((b) => b.type === 'thinking'));
      const stored = storedParts(history).flatMap((p) => (p.type === 'thinking' ? [{ type: 'thinking', thinking: p.text, signature: p.signature }] : []));
      // A subsequence of what was stored (some are left out, never changed or reordered).
      let at = 0;
      for (const block of sent) {
        while (at < stored.length && JSON.stringify(stored[at]) !== JSON.stringify(block)) at++;
        expect(at < stored.length, `${name}: ${JSON.stringify(block)} is a stored block, in order`).toBe(true);
        at++;
      }
    }
  });

  it('a stop mid-thinking sends nothing of the cut block; a signed block with nothing after it is left out', async () => {
    for (const name of ['stopped mid-thinking', 'stopped mid-thinking after a complete block'] as const) {
      const history = await playScenario('anthropic', name);
      expect(history[1]!.reasoning, name).toContain('The user wants');
      expect(toModelMessages(history, { format: 'anthropic' }), name).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'What time is it in Lyon?' }, { type: 'text', text: 'Hello?' }] },
      ]);
      // With the note, the stopped answer is the note alone: no thinking block before it.
      expect(toModelMessages(history, { format: 'anthropic', incomplete: { note: true } })[1], name).toEqual({
        role: 'assistant',
        content: [{ type: 'text', text: DEFAULT_STOPPED_NOTE }],
      });
    }
  });

  it('a thinking block that ended without a signature is not sent (the API verifies every block it gets)', async () => {
    const run = await startHistoryRun('anthropic');
    try {
      run.user('Hi');
      // A block stopped without its signature_delta: stored, but unsigned.
      const unsigned = anthropic.thinking(0, ['No signature came.'], '').replace(/event: content_block_delta\ndata: \{[^\n]*signature_delta[^\n]*\n\n/, '');
      await run.step(anthropic.start('msg_u') + unsigned + anthropic.text(1, 'Hello!') + anthropic.end('end_turn'));
      expect(storedParts(run.history())).toEqual([{ type: 'thinking', text: 'No signature came.', textOffset: 0, toolCallsBefore: 0 }]);
      expect(toModelMessages(run.history(), { format: 'anthropic' })[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] });
    } finally {
      await run.close();
    }
  });

  it('a stop while the tool runs: thinking and tool_use, answered by the cancelled result ahead of the next question', async () => {
    const history = await playScenario('anthropic', 'stopped while a tool runs');
    const out = toModelMessages(history, { format: 'anthropic' });
    expect(out[1]!.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(out[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: callId('anthropic', 0), content: CANCELLED_TOOL_RESULT, is_error: true },
        { type: 'text', text: 'Never mind.' },
      ],
    });
  });
});

describe("'openai-responses': reasoning items", () => {
  it('a finished two-step run: each reasoning item right before the item it produced, with its id, summary and encrypted content', async () => {
    const history = await playScenario('openai-responses', 'complete two-step run');
    const id = callId('openai-responses', 0);
    expect(toModelMessages(history, { format: 'openai-responses' })).toEqual([
      { type: 'message', role: 'user', content: 'What time is it in Lyon?' },
      { type: 'reasoning', id: 'rs_call_0', summary: [{ type: 'summary_text', text: '**Clock**\n\nNeed the clock for Lyon.' }], encrypted_content: 'enc-call-0' },
      { type: 'function_call', call_id: id, name: 'get_time', arguments: '{"city":"Lyon"}' },
      { type: 'function_call_output', call_id: id, output: '{"time":"10:42"}' },
      // No encrypted_content in the stream (not requested): the item goes by its id alone.
      { type: 'reasoning', id: 'rs_answer_1', summary: [{ type: 'summary_text', text: 'I have the result.' }] },
      { type: 'message', role: 'assistant', content: 'It is 10:42 in Lyon.' },
      { type: 'message', role: 'user', content: 'Thanks! And in Tokyo?' },
    ]);
  });

  it('a reasoning item whose call was cut is left out with it; closed, the call keeps its reasoning', async () => {
    const history = await playScenario('openai-responses', 'stopped mid-tool-call arguments');
    expect(history[1]!.reasoningParts).toHaveLength(1);
    expect(toModelMessages(history, { format: 'openai-responses' }).some((item) => item.type === 'reasoning')).toBe(false);
    const id = callId('openai-responses', 0);
    expect(toModelMessages(history, { format: 'openai-responses', incomplete: 'close' }).slice(1, 4)).toEqual([
      { type: 'reasoning', id: 'rs_cut_0', summary: [{ type: 'summary_text', text: 'Need the clock.' }], encrypted_content: 'enc-cut' },
      { type: 'function_call', call_id: id, name: 'get_time', arguments: '{}' },
      { type: 'function_call_output', call_id: id, output: STOPPED_TOOL_RESULT },
    ]);
  });

  it('fixture b-6: the reasoning item, then the answer it produced', async () => {
    const run = await startHistoryRun('openai-responses');
    try {
      run.user('Cite a fact.');
      await run.step(readFileSync(join(FIXTURES_DIR, 'b-openai-responses', '6-reasoning-summary-parts-annotations.sse'), 'utf8'));
      const out = toModelMessages(run.history(), { format: 'openai-responses' });
      expect(out.map((item) => item.type)).toEqual(['message', 'reasoning', 'message']);
      expect(out[1]).toEqual({
        type: 'reasoning',
        id: 'rs_fxb6reasoning00000000000000000000000000000000006',
        summary: [
          { type: 'summary_text', text: '**Finding the source**\n\nThe user wants a cited fact.' },
          { type: 'summary_text', text: '**Answering**\n\nCite the encyclopedia page.' },
        ],
        encrypted_content: 'gAAAAABoFXb6ZW5jcnlwdGVkLXJlYXNvbmluZy1ub3QtcmVhbA==',
      });
      expect(responsesViolations(out)).toEqual([]);
    } finally {
      await run.close();
    }
  });

  it('of two reasoning items around a built-in tool call (web search, not stored), only the second goes', async () => {
    const run = await startHistoryRun('openai-responses');
    try {
      run.user('What time is it in Lyon?');
      const r = responses('resp_ws');
      const bytes = r.start() + r.reasoning('rs_search', ['Search it.'], 'enc-search') + webSearchCall(r, 'ws_1', r.skip()) + r.reasoning('rs_answer', ['Found it.'], 'enc-answer') + r.message('msg_ws', 'It is 10:42.') + r.end();
      await run.step(bytes);
      expect(run.history()[1]!.reasoningParts!.map((p) => p.type === 'openai-reasoning' && p.id)).toEqual(['rs_search', 'rs_answer']);
      const out = toModelMessages(run.history(), { format: 'openai-responses' });
      expect(out.slice(1)).toEqual([
        { type: 'reasoning', id: 'rs_answer', summary: [{ type: 'summary_text', text: 'Found it.' }], encrypted_content: 'enc-answer' },
        { type: 'message', role: 'assistant', content: 'It is 10:42.' },
      ]);
      expect(responsesViolations(out)).toEqual([]);
    } finally {
      await run.close();
    }
  });

  it('reasoning: false sends no reasoning item; Chat never gets reasoning', async () => {
    const history = await playScenario('openai-responses', 'complete two-step run');
    expect(toModelMessages(history, { format: 'openai-responses', reasoning: false }).some((item) => item.type === 'reasoning')).toBe(false);
    expect(JSON.stringify(toModelMessages(history, { format: 'openai-chat' }))).not.toMatch(/reasoning|rs_/);
  });
});

describe('refusals', () => {
  async function refusalHistory(protocol: 'openai-chat' | 'openai-responses', file: string): Promise<readonly Message[]> {
    const run: HistoryRun = await startHistoryRun(protocol);
    try {
      run.user('Help me with something bad.');
      await run.step(readFileSync(join(FIXTURES_DIR, file), 'utf8'));
      run.user('Fine, something else then.');
      return run.history();
    } finally {
      await run.close();
    }
  }

  it("Chat: a stored refusal goes back in the assistant message's refusal field (it used to be dropped, leaving two user turns)", async () => {
    const history = await refusalHistory('openai-chat', 'a-openai-chat/5-refusal-cached-usage.sse');
    const refusal = history[1]!.refusal!;
    expect(refusal).toMatch(/sorry/);
    const out = toModelMessages(history, { format: 'openai-chat' });
    expect(out[1]).toEqual({ role: 'assistant', content: null, refusal });
    expect(chatViolations(out)).toEqual([]);
  });

  it('Responses and Anthropic: no request field takes a refusal, so it goes back as the answer text', async () => {
    const history = await refusalHistory('openai-responses', 'b-openai-responses/5-refusal-cached-usage.sse');
    const refusal = history[1]!.refusal!;
    expect(refusal).toMatch(/sorry/);
    expect(history[1]!.text).toBe('');
    expect(toModelMessages(history, { format: 'openai-responses' })[1]).toEqual({ type: 'message', role: 'assistant', content: refusal });
    expect(toModelMessages(history, { format: 'anthropic' })[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: refusal }] });
    // Stopped, with the note: the refusal stays the answer, the note follows it.
    const stopped = history.map((m, i) => (i === 1 ? { ...m, status: 'incomplete' as const, incomplete: { reason: 'cancelled' as const } } : m));
    const withNote = `${refusal}\n\n${DEFAULT_STOPPED_NOTE}`;
    expect(toModelMessages(stopped, { format: 'openai-responses', incomplete: { note: true } })[1]).toEqual({ type: 'message', role: 'assistant', content: withNote });
    expect(toModelMessages(stopped, { format: 'openai-chat', incomplete: { note: true } })[1]).toEqual({ role: 'assistant', content: DEFAULT_STOPPED_NOTE, refusal });
  });
});


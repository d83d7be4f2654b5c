import type { ToolLoopStep } from './createToolLoopScript';
import type { ToolHistoryResult } from './readToolHistory';

const CITY = 'Genève';
const FILE = 'reports/old-draft.txt';

/** A result's JSON value, or `null` when it is plain text (an error, a denial, a cancellation). */
function parsed(result: ToolHistoryResult | undefined): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(result?.output ?? '');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function weatherSentence(result: ToolHistoryResult | undefined): string {
  const weather = parsed(result);
  if (weather && typeof weather.celsius === 'number') return `It is ${weather.celsius} °C and ${String(weather.sky ?? 'clear')} in ${String(weather.city ?? CITY)}.`;
  return `I could not get the weather in ${CITY} (${result?.output ?? 'no result'}).`;
}

function deleteSentence(result: ToolHistoryResult | undefined): string {
  const output = result?.output ?? '';
  // The denial's wording is the client's (`toModelMessages`' DENIED_TOOL_RESULT, then " Reason: …").
  if (/denied/i.test(output)) {
    const reason = /Reason: (.*)$/s.exec(output)?.[1];
    return `You denied deleting ${FILE}, so I left it where it is${reason ? ` (your reason: ${reason.trim()})` : ''}.`;
  }
  return parsed(result)?.deleted === true ? `I deleted ${FILE}.` : `I could not delete ${FILE} (${output || 'no result'}).`;
}

/**
 * The fake model's script of a two-step tool run with an approval, as the demo, Storybook and the
 * e2e tests play it (with {@link createToolLoopScript}): step 1 says what it will do and calls
 * `get_weather` (`{ city: 'Genève' }`, a tool the client runs) and `delete_file` (`{ path:
 * 'reports/old-draft.txt' }`, one the user must allow); step 2 answers with text built from the
 * results it was sent — the weather, and the deletion or the user's denial (with its reason).
 *
 * @example
 * ```ts
 * const answer = createToolLoopScript(TOOL_LOOP_FAKE_STEPS);
 * const script = answer(await request.clone().json());
 * ```
 */
export const TOOL_LOOP_FAKE_STEPS: readonly ToolLoopStep[] = [
  {
    text: `Let me look up the weather in ${CITY} and tidy up your old draft.`,
    toolCalls: [
      { name: 'get_weather', args: { city: CITY, unit: 'celsius' } },
      { name: 'delete_file', args: { path: FILE } },
    ],
    inputTokens: 64,
  },
  ({ results }) => ({
    text: `${weatherSentence(results.find((r) => r.name === 'get_weather'))} ${deleteSentence(results.find((r) => r.name === 'delete_file'))}`,
    inputTokens: 160,
  }),
];

/** One tool result found in a request's history, with the call it answers. */
export type ToolHistoryResult = {
  callId: string;
  /** The called tool's name, when the history holds the call (it always does in a valid request). */
  name: string | undefined;
  /** The result as sent: a string (JSON for structured results), as every provider carries it. */
  output: string;
  /** Anthropic's `is_error`; `false` in the OpenAI shapes, which have no such flag. */
  isError: boolean;
};

/** Where a request stands in a tool run: see {@link readToolHistory}. */
export type ToolHistory = {
  /** The step of the run this request is: 1 + the model turns since the last user turn. */
  step: number;
  /** The tool results since the last user turn (this run's), oldest first. */
  results: ToolHistoryResult[];
};

type Item = Record<string, unknown>;
type Kind = 'user' | 'model' | 'results';

const isItem = (value: unknown): value is Item => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string =>
  typeof value === 'string' ? value : Array.isArray(value) ? value.map((block) => (isItem(block) && typeof block.text === 'string' ? block.text : '')).join('') : JSON.stringify(value ?? null);

/** Anthropic's content blocks of one type. */
const blocks = (item: Item, type: string): Item[] => (Array.isArray(item.content) ? item.content.filter((b): b is Item => isItem(b) && b.type === type) : []);

/**
 * What one history item is, in any of the three shapes `toModelMessages` writes: a user turn, a
 * model turn (an assistant message, a Responses `function_call`), or tool results (Chat's `role:
 * 'tool'`, Responses' `function_call_output`, an Anthropic user message made of `tool_result`s).
 */
function kindOf(item: Item): Kind | null {
  if (item.type === 'function_call') return 'model';
  if (item.type === 'function_call_output' || item.role === 'tool') return 'results';
  if (item.role === 'assistant') return 'model';
  if (item.role !== 'user') return null;
  const toolResults = blocks(item, 'tool_result');
  return toolResults.length > 0 && toolResults.length === (item.content as unknown[]).length ? 'results' : 'user';
}

/** The tool calls an item makes, as `[id, name]`. */
function callsOf(item: Item): [string, string][] {
  if (item.type === 'function_call') return [[String(item.call_id), String(item.name)]];
  const chat = Array.isArray(item.tool_calls) ? item.tool_calls.filter(isItem).map((c): [string, string] => [String(c.id), String(isItem(c.function) ? c.function.name : '')]) : [];
  return [...chat, ...blocks(item, 'tool_use').map((b): [string, string] => [String(b.id), String(b.name)])];
}

/** The results an item carries, without names yet. */
function resultsOf(item: Item): Omit<ToolHistoryResult, 'name'>[] {
  if (item.type === 'function_call_output') return [{ callId: String(item.call_id), output: text(item.output), isError: false }];
  if (item.role === 'tool') return [{ callId: String(item.tool_call_id), output: text(item.content), isError: false }];
  return blocks(item, 'tool_result').map((b) => ({ callId: String(b.tool_use_id), output: text(b.content), isError: b.is_error === true }));
}

/** The history list of a request body: `messages` (Chat, Anthropic), else `input` when it is a list (Responses). */
function historyOf(body: unknown): Item[] {
  if (!isItem(body)) return [];
  const list = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : [];
  return list.filter(isItem);
}

/**
 * Reads where a request stands in a tool run from the history it carries — the way a real model
 * would, so that a fake model can answer step 2 with step 1's results. Works with the three shapes
 * `toModelMessages` writes (`openai-chat`, `openai-responses`, `anthropic`), found in the body's
 * `messages`, or its `input` when that is a list. Only what follows the last user turn counts: an
 * earlier run of the conversation does not move the step.
 *
 * @example
 * ```ts
 * const body = await request.clone().json();
 * const { step, results } = readToolHistory(body);
 * const script = step === 1 ? { toolCalls: [{ name: 'get_weather', args: { city: 'Genève' } }] } : { text: `Results: ${results.map((r) => r.output).join(', ')}` };
 * ```
 */
export function readToolHistory(body: unknown): ToolHistory {
  const items = historyOf(body);
  const kinds = items.map(kindOf);
  const start = kinds.lastIndexOf('user') + 1;
  const names = new Map<string, string>();
  const results: Omit<ToolHistoryResult, 'name'>[] = [];
  let step = 1;
  for (let at = start; at < items.length; at++) {
    const item = items[at]!;
    // Consecutive model items are one turn (Responses writes a step as a message and its calls).
    if (kinds[at] === 'model' && kinds[at - 1] !== 'model') step++;
    for (const [id, name] of callsOf(item)) names.set(id, name);
    if (kinds[at] === 'results') results.push(...resultsOf(item));
  }
  return { step, results: results.map((result) => ({ ...result, name: names.get(result.callId) })) };
}

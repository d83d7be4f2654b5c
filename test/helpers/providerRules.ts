// The providers' documented rules for a request's history, as validators that list every rule an
// output breaks (an empty list: the provider accepts it, as far as these rules go). Used on
// toModelMessages' outputs for real runs (test/store/history.rules.test.ts); each rule is shown to
// fail on a broken output (test/store/providerRules.test.ts).
//
// Sources (checked 2026-12): Anthropic "Building with extended thinking" (thinking with tool use,
// preserving thinking blocks: thinking and redacted_thinking passed back complete and unmodified with
// their signature; in a tool loop the final assistant message starts with a thinking block) and the
// Messages API (roles alternate starting with user; every tool_use answered by a tool_result in the
// next user message, tool_result blocks first; no empty text; a final assistant message may not end
// in whitespace; with extended thinking, no final assistant message at all: no prefill). OpenAI Responses: every function_call matched by a function_call_output; a
// reasoning item must be followed by the item it produced ("Item 'rs_…' of type 'reasoning' was
// provided without its required following item"); reasoning summary parts are summary_text. OpenAI
// Chat: an assistant message with tool_calls is followed by one tool message per call, and tool
// messages appear nowhere else; the request has no reasoning field.

type Loose = Record<string, any>;

const blank = (text: unknown) => typeof text !== 'string' || text.trim() === '';
const jsonObject = (text: unknown) => {
  try {
    const value: unknown = JSON.parse(String(text));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};

/** Anthropic Messages. `thinking`: extended thinking is on for the request (the tool-loop rule applies). */
export function anthropicViolations(messages: readonly Loose[], options: { thinking?: boolean } = {}): string[] {
  const out: string[] = [];
  if (messages[0] && messages[0].role !== 'user') out.push('first message is not a user message');
  messages.forEach((m, i) => {
    const content: Loose[] = Array.isArray(m.content) ? m.content : [];
    if (content.length === 0) out.push(`#${i}: empty content`);
    if (i > 0 && m.role === messages[i - 1]!.role) out.push(`#${i}: roles do not alternate`);
    for (const block of content) {
      if (block.type === 'text' && blank(block.text)) out.push(`#${i}: empty text block`);
      if (block.type === 'tool_use' && m.role !== 'assistant') out.push(`#${i}: tool_use outside an assistant message`);
      if (block.type === 'tool_result' && m.role !== 'user') out.push(`#${i}: tool_result outside a user message`);
      if ((block.type === 'thinking' || block.type === 'redacted_thinking') && m.role !== 'assistant') out.push(`#${i}: ${block.type} outside an assistant message`);
      if (block.type === 'thinking' && (blank(block.signature) || typeof block.thinking !== 'string')) out.push(`#${i}: thinking block without its signature`);
      if (block.type === 'redacted_thinking' && blank(block.data)) out.push(`#${i}: redacted_thinking without its data`);
    }
    const uses = content.filter((b) => b.type === 'tool_use').map((b) => b.id);
    if (new Set(uses).size !== uses.length) out.push(`#${i}: duplicate tool_use id`);
    const results = content.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id);
    if (content.slice(0, results.length).some((b) => b.type !== 'tool_result')) out.push(`#${i}: tool_result blocks do not come first`);
    const previous: Loose[] = i > 0 && Array.isArray(messages[i - 1]!.content) ? messages[i - 1]!.content : [];
    const asked = previous.filter((b) => b.type === 'tool_use').map((b) => b.id);
    if (m.role === 'user' && [...results].sort().join() !== [...asked].sort().join()) out.push(`#${i}: tool_result blocks do not answer exactly the previous tool_use blocks`);
    if (m.role === 'assistant' && uses.length > 0 && messages[i + 1]?.role !== 'user') out.push(`#${i}: tool_use without a following user message`);
  });
  const last = messages.at(-1);
  const lastBlock = last?.role === 'assistant' ? last.content?.at(-1) : undefined;
  if (lastBlock?.type === 'text' && lastBlock.text !== lastBlock.text.trimEnd()) out.push('final assistant text ends in whitespace');
  // A tool loop under way (the last user message only answers tools): its assistant message starts with thinking.
  const loop = last?.role === 'user' && last.content?.length > 0 && last.content.every((b: Loose) => b.type === 'tool_result');
  const first = messages.at(-2)?.content?.[0];
  if (options.thinking && loop && first?.type !== 'thinking' && first?.type !== 'redacted_thinking') out.push('tool loop: the assistant message does not start with a thinking block');
  // "Prefilling is only available for non-extended thinking modes."
  if (options.thinking && last?.role === 'assistant') out.push('extended thinking: the history ends with an assistant message (a prefill)');
  return out;
}

/** OpenAI Responses `input` items. */
export function responsesViolations(items: readonly Loose[]): string[] {
  const out: string[] = [];
  const called = new Set<string>();
  const answered = new Set<string>();
  items.forEach((item, i) => {
    if (item.type === 'message' && blank(item.content)) out.push(`#${i}: empty message`);
    if (item.type === 'function_call') {
      if (called.has(item.call_id)) out.push(`#${i}: duplicate call ${item.call_id}`);
      called.add(item.call_id);
      if (blank(item.name)) out.push(`#${i}: function_call without a name`);
      if (!jsonObject(item.arguments)) out.push(`#${i}: arguments are not a JSON object`);
    }
    if (item.type === 'function_call_output') {
      if (!called.has(item.call_id)) out.push(`#${i}: output for ${item.call_id} before (or without) its call`);
      if (answered.has(item.call_id)) out.push(`#${i}: second output for ${item.call_id}`);
      answered.add(item.call_id);
    }
    if (item.type === 'reasoning') {
      if (blank(item.id)) out.push(`#${i}: reasoning item without an id`);
      const summary: Loose[] = Array.isArray(item.summary) ? item.summary : [];
      if (!Array.isArray(item.summary) || summary.some((part) => part.type !== 'summary_text' || typeof part.text !== 'string')) out.push(`#${i}: reasoning summary is not summary_text parts`);
      if ('encrypted_content' in item && typeof item.encrypted_content !== 'string') out.push(`#${i}: encrypted_content is not a string`);
      // Its following item, right after it: the model's own message or call.
      const next = items[i + 1];
      if (!next || !(next.type === 'function_call' || (next.type === 'message' && next.role === 'assistant'))) out.push(`#${i}: reasoning item without its required following item`);
    }
  });
  for (const id of called) if (!answered.has(id)) out.push(`call ${id} has no function_call_output`);
  return out;
}

const CHAT_ASSISTANT_KEYS = new Set(['role', 'content', 'tool_calls', 'refusal']);

/** OpenAI Chat Completions messages. */
export function chatViolations(messages: readonly Loose[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'user' && blank(m.content)) out.push(`#${i}: empty user message`);
    if (m.role === 'tool') out.push(`#${i}: tool message not right after its assistant message`);
    if (m.role !== 'assistant') continue;
    for (const key of Object.keys(m)) if (!CHAT_ASSISTANT_KEYS.has(key)) out.push(`#${i}: assistant message has a field the API does not take (${key})`);
    const calls: Loose[] = Array.isArray(m.tool_calls) ? m.tool_calls : [];
    if (blank(m.content) && calls.length === 0 && blank(m.refusal)) out.push(`#${i}: assistant message with no content, tool calls or refusal`);
    if (m.tool_calls !== undefined && calls.length === 0) out.push(`#${i}: empty tool_calls`);
    for (const c of calls) if (c.type !== 'function' || blank(c.function?.name) || !jsonObject(c.function?.arguments)) out.push(`#${i}: malformed tool call ${c.id}`);
    const answers = messages.slice(i + 1, i + 1 + calls.length);
    const ids = answers.map((a) => (a.role === 'tool' ? a.tool_call_id : null));
    if (ids.join() !== calls.map((c) => c.id).join()) out.push(`#${i}: tool_calls not answered by tool messages right after`);
    i += answers.filter((a) => a.role === 'tool').length;
  }
  return out;
}

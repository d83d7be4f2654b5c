import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import { expect } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import type { Protocol, StreamSnapshot } from '../../src/core/types';
import { randomSplit, streamOf } from './fixtures';

// The official SDKs' own accumulators (openai-node `ChatCompletionStream` / `ResponseStream`,
// `@anthropic-ai/sdk` `MessageStream`) read into our snapshot's terms, to compare with collectStream.
//
// The SDKs' `fromReadableStream` does not read SSE: it reads NDJSON, one event's JSON per line
// (what their own `toReadableStream()` writes). So an SSE transcript is turned into that: the
// `data:` of every complete event, `[DONE]` left out, a trailing event without its blank line
// dropped (as every SSE reader does). Our side reads the SSE bytes themselves, randomly split.

/** The JSON events of an SSE transcript (complete events only, `[DONE]` left out). */
function sseEvents(sse: string): unknown[] {
  const complete = sse.slice(0, sse.lastIndexOf('\n\n') + 2);
  const events: unknown[] = [];
  for (const block of complete.split('\n\n')) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data && data !== '[DONE]') events.push(JSON.parse(data));
  }
  return events;
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const ndjsonStream = (events: unknown[]) => streamOf(events.map((event) => `${JSON.stringify(event)}\n`));

/** What both sides are compared on: our snapshot's terms. */
type Kept = {
  text: string;
  refusal?: string;
  reasoning?: string;
  toolCalls: { id: string; name: string; args: unknown }[];
  usage: Record<string, number | null> | null;
  stopSequence?: string;
  annotations?: unknown[];
  reasoningParts?: unknown[];
};

function ours(snapshot: StreamSnapshot): Kept {
  const kept: Kept = {
    text: snapshot.text,
    toolCalls: snapshot.toolCalls.map(({ id, name, args }) => ({ id, name, args })),
    usage: snapshot.usage as Kept['usage'],
  };
  for (const key of ['refusal', 'reasoning', 'stopSequence', 'annotations', 'reasoningParts'] as const) {
    if (snapshot[key] !== undefined) (kept as Record<string, unknown>)[key] = snapshot[key];
  }
  return kept;
}

/** Only the keys the provider sent a count above 0 for, as our `Usage` names them (a 0 detail is left out: readUsage). */
function usageOf(wire: any, input: string, output: string, details: Record<string, unknown>): Kept['usage'] {
  if (!wire) return null;
  const usage: Record<string, number | null> = { inputTokens: wire[input] ?? null, outputTokens: wire[output] ?? null };
  for (const [key, value] of Object.entries(details)) if (typeof value === 'number' && value > 0) usage[key] = value;
  return usage;
}

/** Chat: `finalChatCompletion()`, or the SDK's running snapshot when the stream was cut or failed. */
async function chatKept(events: unknown[]): Promise<Kept> {
  const stream = ChatCompletionStream.fromReadableStream(ndjsonStream(events));
  // The running snapshot is gone once the stream ends; kept here for a stream that never finished.
  let completion: any;
  stream.on('chunk', (_chunk, snapshot) => (completion = snapshot));
  try {
    completion = await stream.finalChatCompletion();
  } catch {
    // A cut-off stream has no finish_reason: the SDK rejects, and what it had accumulated is compared.
  }
  const message = completion?.choices[0]?.message ?? {};
  const kept: Kept = {
    text: message.content ?? '',
    // The SDK keeps `arguments` as text; `{}` for an empty one is what the AI SDK and the Responses / Anthropic SDKs give.
    toolCalls: (message.tool_calls ?? []).map((call: any) => ({
      id: call.id,
      name: call.function.name,
      args: call.function.arguments === '' ? {} : parseOrNull(call.function.arguments),
    })),
    usage: usageOf(completion?.usage, 'prompt_tokens', 'completion_tokens', {
      cachedInputTokens: completion?.usage?.prompt_tokens_details?.cached_tokens,
      reasoningTokens: completion?.usage?.completion_tokens_details?.reasoning_tokens,
    }),
  };
  if (message.refusal != null) kept.refusal = message.refusal;
  return kept;
}

async function responsesKept(events: unknown[]): Promise<Kept> {
  const response: any = await ResponseStream.fromReadableStream(ndjsonStream(events)).finalResponse();
  const kept: Kept = { text: '', toolCalls: [], usage: null };
  const refusal: string[] = [];
  const summaries: string[] = [];
  const annotations: unknown[] = [];
  const reasoningParts: unknown[] = [];
  for (const item of response.output) {
    if (item.type === 'message') {
      for (const part of item.content) {
        if (part.type === 'output_text') {
          kept.text += part.text;
          annotations.push(...part.annotations);
        } else if (part.type === 'refusal') refusal.push(part.refusal);
      }
    } else if (item.type === 'function_call') {
      kept.toolCalls.push({ id: item.call_id, name: item.name, args: JSON.parse(item.arguments || '{}') });
    } else if (item.type === 'reasoning') {
      const summary = item.summary.map((part: any) => part.text);
      summaries.push(...summary.filter(Boolean));
      const part: Record<string, unknown> = { type: 'openai-reasoning', id: item.id, summary };
      if (item.encrypted_content) part.encryptedContent = item.encrypted_content;
      reasoningParts.push({ ...part, textOffset: kept.text.length, toolCallsBefore: kept.toolCalls.length });
    }
  }
  kept.usage = usageOf(response.usage, 'input_tokens', 'output_tokens', {
    cachedInputTokens: response.usage?.input_tokens_details?.cached_tokens,
    reasoningTokens: response.usage?.output_tokens_details?.reasoning_tokens,
  });
  if (refusal.length) kept.refusal = refusal.join('');
  if (summaries.length) kept.reasoning = summaries.join('\n\n');
  if (annotations.length) kept.annotations = annotations;
  if (reasoningParts.length) kept.reasoningParts = reasoningParts;
  return kept;
}

/** Anthropic: `finalMessage()`, or the SDK's running message when the stream was cut or failed. */
async function anthropicKept(events: unknown[]): Promise<Kept> {
  const stream = MessageStream.fromReadableStream(ndjsonStream(events));
  let message: any;
  stream.on('streamEvent', (_event, snapshot) => (message = snapshot));
  // A tool_use block that never stopped: the SDK shows its partial input, our snapshot `null` (the
  // partial value lives in the accumulator, with `partialArgs`).
  const stopped = new Set<number>();
  stream.on('streamEvent', (event) => event.type === 'content_block_stop' && stopped.add(event.index));
  try {
    message = await stream.finalMessage();
  } catch {
    // A stream cut off or failed before message_stop: what the SDK had accumulated is compared.
  }
  const kept: Kept = { text: '', toolCalls: [], usage: null };
  const thinking: string[] = [];
  const citations: unknown[] = [];
  const reasoningParts: unknown[] = [];
  for (const [index, block] of (message?.content ?? []).entries()) {
    const at = { textOffset: kept.text.length, toolCallsBefore: kept.toolCalls.length };
    if (block.type === 'text') {
      kept.text += block.text;
      citations.push(...(block.citations ?? []));
    } else if (block.type === 'tool_use') {
      kept.toolCalls.push({ id: block.id, name: block.name, args: stopped.has(index) ? block.input : null });
    } else if (block.type === 'thinking') {
      thinking.push(block.thinking);
      reasoningParts.push({ type: 'thinking', text: block.thinking, ...(block.signature && { signature: block.signature }), ...at });
    } else if (block.type === 'redacted_thinking') {
      reasoningParts.push({ type: 'redacted', data: block.data, ...at });
    }
  }
  const usage = message?.usage;
  kept.usage = usageOf(usage, 'input_tokens', 'output_tokens', {
    cachedInputTokens: usage?.cache_read_input_tokens,
    cacheWriteInputTokens: usage?.cache_creation_input_tokens,
  });
  if (thinking.some(Boolean)) kept.reasoning = thinking.filter(Boolean).join('\n\n');
  if (citations.length) kept.annotations = citations;
  if (reasoningParts.length) kept.reasoningParts = reasoningParts;
  if (typeof message?.stop_sequence === 'string') kept.stopSequence = message.stop_sequence;
  return kept;
}

export const SDK: Partial<Record<Protocol, (events: unknown[]) => Promise<Kept>>> = {
  'openai-chat': chatKept,
  'openai-responses': responsesKept,
  anthropic: anthropicKept,
};


/** Our snapshot of `sse` (randomly split) equals what the SDK keeps of the same events. */
export async function compare(protocol: Protocol, sse: Uint8Array, random: () => number): Promise<void> {
  const snapshot = await collectStream(streamOf(randomSplit(sse, random)), { protocol });
  const sdk = await SDK[protocol]!(sseEvents(new TextDecoder().decode(sse)));
  expect(ours(snapshot)).toEqual(sdk);
}

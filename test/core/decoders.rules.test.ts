import { describe, expect, it } from 'vitest';
import { collectStream } from '../../src/core/collectStream';
import { decodeStream } from '../../src/core/decodeStream';
import { createStreamDecoder } from '../../src/core/decoders/createStreamDecoder';
import { StreamProtocolError } from '../../src/core/errors';
import type { StreamEvent } from '../../src/core/types';
import { loadFixtures, streamOf } from '../helpers/fixtures';

const fixtures = loadFixtures();
const fixture = (name: string) => {
  const found = fixtures.find((f) => f.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
};
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sse = (...events: string[]) => events.join('');
const data = (json: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(json)}\n\n`;

function decodeAll(input: string, options: Parameters<typeof createStreamDecoder>[0] = {}): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = createStreamDecoder(options, (e) => events.push(e));
  decoder.push(new TextEncoder().encode(input));
  decoder.end();
  return events;
}

describe('SSE framing rules, on every SSE fixture', () => {
  const sseFixtures = fixtures.filter((f) => f.contentType === 'text/event-stream');

  for (const f of sseFixtures) {
    it(`${f.name}: CRLF, CR, BOM, comments and keep-alives change nothing`, async () => {
      const lf = text(f.bytes);
      const variants = {
        crlf: lf.replace(/\n/g, '\r\n'),
        cr: lf.replace(/\n/g, '\r'),
        bom: `\uFEFF${lf}`,
        comments: `: stream-open\n\n${lf.replace(/\n\n/g, '\n\n: keep-alive\n\n')}`,
        unknownFields: lf.replace(/\n\n/g, '\nid: 7\nretry: 1000\n\n'),
      };
      for (const [variant, body] of Object.entries(variants)) {
        const snapshot = await collectStream(streamOf([body]), { contentType: f.contentType });
        expect({ variant, snapshot }).toEqual({ variant, snapshot: f.expected });
      }
    });
  }

  it('an event still incomplete at EOF is discarded, never dispatched', async () => {
    const body = sse(data({ type: 'start', messageId: 'm1' }), data({ type: 'text-delta', id: '0', delta: 'kept' }), 'data: {"type":"text-delta","id":"0","delta":" lost"}\n');
    const snapshot = await collectStream(streamOf([body]), { protocol: 'ai-sdk' });
    expect(snapshot.text).toBe('kept');
  });

  it('a line that cannot become a field is dropped unbuffered: a long one across chunks is no buffer overflow', async () => {
    const garbage = 'x'.repeat(600);
    const chunks = [data({ type: 'text-delta', id: '0', delta: 'before ' }), garbage, garbage, garbage, `\n${data({ type: 'text-delta', id: '0', delta: 'after' })}`];
    const snapshot = await collectStream(streamOf(chunks), { protocol: 'ai-sdk', maxEventSize: 1000 });
    expect(snapshot.text).toBe('before after');
  });

  it('several data: lines are joined with a newline', async () => {
    const body = 'data: {"type":"text-delta",\ndata: "id":"0","delta":"joined"}\n\n';
    expect((await collectStream(streamOf([body]), { protocol: 'ai-sdk' })).text).toBe('joined');
  });

  it('multi-byte characters split across chunks are decoded whole', async () => {
    const bytes = new TextEncoder().encode(data({ type: 'text-delta', id: '0', delta: 'é☕🌱' }));
    const at = text(bytes).indexOf('é');
    const cut = new TextEncoder().encode(text(bytes).slice(0, at)).length + 1; // inside é
    const snapshot = await collectStream(streamOf([bytes.subarray(0, cut), bytes.subarray(cut, cut + 2), bytes.subarray(cut + 2)]), { protocol: 'ai-sdk' });
    expect(snapshot.text).toBe('é☕🌱');
  });
});

describe('OpenAI Chat Completions', () => {
  it('stops reading at a mid-stream error, as openai-node does', () => {
    const events = decodeAll(
      sse(
        data({ id: 'c1', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] }),
        data({ error: { message: 'boom', type: 'server_error', code: 'x1' } }),
        data({ id: 'c1', choices: [{ index: 0, delta: { content: 'b' }, finish_reason: 'stop' }] }),
      ),
    );
    expect(events).toEqual([
      { type: 'id', id: 'c1' },
      { type: 'text-delta', delta: 'a' },
      { type: 'error', message: 'boom', code: 'x1' },
    ]);
  });

  it('reads NDJSON of Chat chunks (openai-node toReadableStream), with a partial last line buffered', async () => {
    const f = fixture('a-openai-chat/1-text-usage');
    const ndjson = text(f.bytes)
      .split('\n\n')
      .map((e) => e.replace(/^data: /, ''))
      .filter((line) => line !== '' && line !== '[DONE]')
      .join('\n');
    // without a trailing newline: the last (whole) line is still read
    expect(await collectStream(streamOf([ndjson]), { contentType: 'application/x-ndjson' })).toEqual(f.expected);
    expect(await collectStream(streamOf([`${ndjson}\n`]), { protocol: 'ndjson' })).toEqual(f.expected);
    expect(await collectStream(streamOf([`${ndjson.replace(/\n/g, '\r\n')}\r\n`]))).toEqual(f.expected);
    // a last line cut mid-way is discarded, like an SSE event without its blank line
    const cut = ndjson.slice(0, ndjson.lastIndexOf('\n') + 20);
    const snapshot = await collectStream(streamOf([cut]), { protocol: 'ndjson' });
    expect(snapshot.usage).toBeNull();
    expect(snapshot.text).toBe(f.expected.text);
  });

  it('maps every finish_reason and ignores unknown fields and refusal text', () => {
    const reasons = { stop: 'stop', length: 'length', tool_calls: 'tool-calls', function_call: 'tool-calls', content_filter: 'content-filter', something_new: 'other' };
    for (const [raw, normalized] of Object.entries(reasons)) {
      const events = decodeAll(data({ id: 'c', surprise: { a: 1 }, choices: [{ index: 0, delta: { refusal: 'no' }, finish_reason: raw }] }), { protocol: 'openai-chat' });
      expect(events.at(-1)).toEqual({ type: 'finish', finishReason: normalized, rawFinishReason: raw });
      expect(events.some((e) => e.type === 'text-delta')).toBe(false);
    }
  });
});

describe('OpenAI Responses', () => {
  const created = (id: string) => data({ type: 'response.created', response: { id, status: 'in_progress', usage: null } }, 'response.created');

  it('accepts the nested error shape followed by response.failed', async () => {
    const body = sse(
      created('resp_1'),
      data({ type: 'response.output_text.delta', delta: 'Hi' }, 'response.output_text.delta'),
      data({ type: 'error', sequence_number: 3, error: { type: 'server_error', code: 'server_error', message: 'nested message', param: null } }, 'error'),
      data({ type: 'response.failed', response: { id: 'resp_1', status: 'failed', error: { code: 'server_error', message: 'failed message' }, usage: { input_tokens: 5, output_tokens: 1 } } }, 'response.failed'),
    );
    expect(await collectStream(streamOf([body]))).toEqual({
      id: 'resp_1',
      text: 'Hi',
      toolCalls: [],
      usage: { inputTokens: 5, outputTokens: 1 },
      finishReason: 'error',
      rawFinishReason: 'failed',
      error: 'nested message',
    });
  });

  it('response.failed alone carries its own error message', async () => {
    const body = sse(created('resp_2'), data({ type: 'response.failed', response: { id: 'resp_2', status: 'failed', error: { code: 'x', message: 'it failed' }, usage: null } }, 'response.failed'));
    const snapshot = await collectStream(streamOf([body]), { protocol: 'openai-responses' });
    expect([snapshot.error, snapshot.finishReason, snapshot.rawFinishReason]).toEqual(['it failed', 'error', 'failed']);
  });

  it('response.incomplete maps max_output_tokens to length and content_filter to content-filter', async () => {
    for (const [reason, normalized] of [
      ['max_output_tokens', 'length'],
      ['content_filter', 'content-filter'],
    ] as const) {
      const body = sse(
        created('resp_3'),
        data({ type: 'response.incomplete', response: { id: 'resp_3', status: 'incomplete', incomplete_details: { reason }, usage: { input_tokens: 3, output_tokens: 9 } } }, 'response.incomplete'),
      );
      const snapshot = await collectStream(streamOf([body]), { protocol: 'openai-responses' });
      expect([snapshot.finishReason, snapshot.rawFinishReason, snapshot.usage]).toEqual([normalized, 'incomplete', { inputTokens: 3, outputTokens: 9 }]);
    }
  });

  it('a cancelled status on a lifecycle event is terminal; keepalive and unknown events are ignored', async () => {
    const body = sse(
      created('resp_4'),
      data({ type: 'keepalive', sequence_number: 1 }, 'keepalive'),
      data({ type: 'response.brand_new_event', whatever: true }, 'response.brand_new_event'),
      data({ type: 'response.cancelled', response: { id: 'resp_4', status: 'cancelled', usage: null } }, 'response.cancelled'),
    );
    const snapshot = await collectStream(streamOf([body]));
    expect([snapshot.finishReason, snapshot.rawFinishReason]).toEqual(['cancelled', 'cancelled']);
  });

  it('uses the full arguments of .done when no delta arrived, keyed by item_id with call_id as the id', async () => {
    const body = sse(
      created('resp_5'),
      data({ type: 'response.output_item.added', output_index: 0, item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '' } }),
      data({ type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 0, arguments: '{"a":1}' }),
      data({ type: 'response.completed', response: { id: 'resp_5', status: 'completed', output: [], usage: { input_tokens: 1, output_tokens: 2 } } }),
    );
    const snapshot = await collectStream(streamOf([body]), { protocol: 'openai-responses' });
    expect(snapshot.toolCalls).toEqual([{ id: 'call_1', name: 'f', index: 0, argsText: '{"a":1}', args: { a: 1 } }]);
    expect(snapshot.finishReason).toBe('tool-calls');
  });
});

describe('Anthropic Messages', () => {
  it('ignores events without an event: line, as @anthropic-ai/sdk does', async () => {
    const body = sse(
      data({ type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 2, output_tokens: 1 } } }, 'message_start'),
      data({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'seen' } }, 'content_block_delta'),
      data({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' unseen' } }),
    );
    expect((await collectStream(streamOf([body]))).text).toBe('seen');
  });

  it('replaces cumulative usage counts rather than adding them, and maps stop reasons', async () => {
    const reasons = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', model_context_window_exceeded: 'length', tool_use: 'tool-calls', refusal: 'content-filter', pause_turn: 'other', brand_new: 'other' };
    for (const [raw, normalized] of Object.entries(reasons)) {
      const body = sse(
        data({ type: 'message_start', message: { id: 'msg_2', usage: { input_tokens: 10, output_tokens: 1 } } }, 'message_start'),
        data({ type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 5 } }, 'message_delta'),
        data({ type: 'message_delta', delta: { stop_reason: raw }, usage: { output_tokens: 7, input_tokens: null } }, 'message_delta'),
        data({ type: 'message_stop' }, 'message_stop'),
      );
      const snapshot = await collectStream(streamOf([body]), { protocol: 'anthropic' });
      expect([snapshot.usage, snapshot.finishReason, snapshot.rawFinishReason]).toEqual([{ inputTokens: 10, outputTokens: 7 }, normalized, raw]);
    }
  });

  it('keeps thinking out of the text and emits it as reasoning', () => {
    const events = decodeAll(
      sse(
        data({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }, 'content_block_start'),
        data({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }, 'content_block_delta'),
      ),
    );
    expect(events).toEqual([{ type: 'reasoning-delta', delta: 'hmm' }]);
  });
});

describe('Vercel AI SDK UI message stream', () => {
  it('accepts v5.0.0 parts: finish without finishReason, abort without reason', async () => {
    const finished = await collectStream(streamOf([sse(data({ type: 'start', messageId: 'm' }), data({ type: 'text-delta', id: '0', delta: 'x' }), data({ type: 'finish' }), 'data: [DONE]\n\n')]));
    expect([finished.finishReason, finished.rawFinishReason]).toEqual(['stop', 'finish']);
    const aborted = await collectStream(streamOf([sse(data({ type: 'start', messageId: 'm' }), data({ type: 'abort' }), 'data: [DONE]\n\n')]));
    expect([aborted.finishReason, aborted.rawFinishReason]).toEqual(['cancelled', 'abort']);
  });

  it('maps unknown finish reasons to other and reads usage from a configurable metadata path', async () => {
    const body = sse(data({ type: 'start', messageId: 'm' }), data({ type: 'finish', finishReason: 'unknown', messageMetadata: { stats: { tokens: { inputTokens: 4, outputTokens: 6 } } } }));
    const snapshot = await collectStream(streamOf([body]), { protocol: 'ai-sdk', aiSdkUsagePath: ['stats', 'tokens'] });
    expect([snapshot.finishReason, snapshot.rawFinishReason, snapshot.usage]).toEqual(['other', 'unknown', { inputTokens: 4, outputTokens: 6 }]);
  });
});

describe('the stream-cancelled event of the server helpers', () => {
  const cancelled = (usage: unknown, estimated: boolean) => `event: stream-cancelled\ndata: ${JSON.stringify({ usage, usageEstimated: estimated })}\n\n`;

  it('ends every SSE protocol as a cancelled finish carrying the usage', async () => {
    const openers = {
      'openai-chat': data({ id: 'c', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] }),
      'openai-responses': data({ type: 'response.created', response: { id: 'r', status: 'in_progress' } }, 'response.created'),
      anthropic: data({ type: 'message_start', message: { id: 'm', usage: { input_tokens: 3, output_tokens: 1 } } }, 'message_start'),
      'ai-sdk': data({ type: 'start', messageId: 'x' }),
    };
    for (const [protocol, opener] of Object.entries(openers)) {
      const snapshot = await collectStream(streamOf([opener + cancelled({ inputTokens: 3, outputTokens: 12 }, true)]));
      expect({ protocol, finish: snapshot.finishReason, raw: snapshot.rawFinishReason, usage: snapshot.usage }).toEqual({
        protocol,
        finish: 'cancelled',
        raw: 'stream-cancelled',
        usage: { inputTokens: 3, outputTokens: 12, estimated: true },
      });
    }
  });

  it('with null usage keeps what the provider said', async () => {
    const snapshot = await collectStream(
      streamOf([data({ type: 'message_start', message: { id: 'm', usage: { input_tokens: 3, output_tokens: 1 } } }, 'message_start') + cancelled(null, false)]),
    );
    expect(snapshot.usage).toEqual({ inputTokens: 3, outputTokens: 1 });
    expect(snapshot.finishReason).toBe('cancelled');
  });
});

describe('protocol detection and bad input', () => {
  it('detects each protocol from its first event, including one that opens with an error', () => {
    const cases = [
      [data({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error'), 'anthropic'],
      [data({ type: 'error', code: 'x', message: 'm', sequence_number: 0 }, 'error'), 'openai-responses'],
      [data({ type: 'error', errorText: 'e' }), 'ai-sdk'],
      [data({ error: { message: 'm' } }), 'openai-chat'],
      [data({ type: 'data-weather', data: {} }), 'ai-sdk'],
    ] as const;
    for (const [body, protocol] of cases) {
      const decoder = createStreamDecoder({ contentType: 'text/event-stream' }, () => {});
      decoder.push(body);
      expect(decoder.protocol).toBe(protocol);
    }
  });

  it('rejects an HTML page (200 text/html) instead of showing it as the answer; a named protocol still reads it', async () => {
    const page = '<!doctype html><html><body>Please sign in</body></html>';
    const error = await collectStream(streamOf([page]), { contentType: 'text/html; charset=utf-8' }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.type).toBe('unknown-protocol');
    expect(error.line).toContain('Please sign in');
    expect((await collectStream(streamOf([page]), { contentType: 'text/html', protocol: 'text' })).text).toBe(page);
  });

  it('treats a stream without a content type that does not look like SSE or JSON as plain text', async () => {
    const snapshot = await collectStream(streamOf(['Hello, ', 'world']));
    expect(snapshot.text).toBe('Hello, world');
  });

  it('rejects a malformed event with a StreamProtocolError naming the line', async () => {
    const body = sse(data({ type: 'start', messageId: 'm' }), 'data: {"type":"text-delta",oops}\n\n');
    const error = await collectStream(streamOf([body]), { protocol: 'ai-sdk' }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.type).toBe('malformed-event');
    expect(error.line).toBe('{"type":"text-delta",oops}');
  });

  it('rejects a first event it cannot place with a StreamProtocolError of type unknown-protocol', async () => {
    const error = await collectStream(streamOf([data({ hello: 'world' })]), { contentType: 'text/event-stream' }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.type).toBe('unknown-protocol');
  });

  it('bounds the buffer: an event past maxEventSize is a typed, fatal error', async () => {
    const body = `data: {"type":"text-delta","id":"0","delta":"${'x'.repeat(5000)}"}\n\n`;
    const error = await collectStream(streamOf([body]), { protocol: 'ai-sdk', maxEventSize: 1000 }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.type).toBe('buffer-overflow');
    const ndjsonError = await collectStream(streamOf(['{"a":"' + 'x'.repeat(5000)]), { protocol: 'ndjson', maxEventSize: 1000 }).catch((e) => e);
    expect(ndjsonError.type).toBe('buffer-overflow');
  });
});

describe('decodeStream', () => {
  it('yields the normalized events of a fixture in order', async () => {
    const events: StreamEvent[] = [];
    for await (const event of decodeStream(streamOf([fixture('a-openai-chat/2-parallel-tool-calls').bytes]))) events.push(event);
    expect(events[0]).toEqual({ type: 'id', id: 'chatcmpl-FXa2ParallelTools00000000000002' });
    expect(events[1]).toEqual({ type: 'tool-call-start', id: 'call_FXa2Trains00000000000001', name: 'search_trains' });
    expect(events.filter((e) => e.type === 'tool-call-end').map((e) => (e as { id: string }).id)).toEqual(['call_FXa2Trains00000000000001', 'call_FXa2Weather0000000000002']);
    expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls' });
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 164, outputTokens: 71 } });
  });

  it('delivers the events decoded before a malformed one, then throws', async () => {
    const seen: string[] = [];
    const run = async () => {
      for await (const event of decodeStream(streamOf([data({ type: 'text-delta', id: '0', delta: 'kept' }) + 'data: nope\n\n']), { protocol: 'ai-sdk' })) {
        if (event.type === 'text-delta') seen.push(event.delta);
      }
    };
    await expect(run()).rejects.toBeInstanceOf(StreamProtocolError);
    expect(seen).toEqual(['kept']);
  });

  it('cancels the source stream when the consumer breaks out', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(data({ type: 'text-delta', id: '0', delta: 'x' })));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of decodeStream(body, { protocol: 'ai-sdk' })) {
      if (event.type === 'text-delta') break;
    }
    expect(cancelled).toBe(true);
  });
});

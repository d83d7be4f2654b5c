import { describe, expect, it, vi } from 'vitest';
import { cancelledResponse, terminalBytes, terminalKindOf } from '../../src/server/internal/cancelTerminal';
import { createPassThroughOutput } from '../../src/server/internal/createPassThroughOutput';
import { readStreamHeaders } from '../../src/server/internal/readStreamHeaders';

const enc = (text: string) => new TextEncoder().encode(text);
const report = { usage: { inputTokens: 3, outputTokens: 5 }, usageEstimated: true };

describe('readStreamHeaders', () => {
  const request = (headers: Record<string, string>) => new Request('http://x/', { method: 'POST', headers });
  const secret = 'a'.repeat(22);

  it('returns the id and secret when both are well formed', () => {
    expect(readStreamHeaders(request({ 'x-stream-id': 'abc-1', 'x-stream-cancel-secret': secret }))).toEqual({
      streamId: 'abc-1',
      secret,
    });
  });

  it.each([
    [{ 'x-stream-cancel-secret': secret }, /Missing x-stream-id/],
    [{ 'x-stream-id': 'a b', 'x-stream-cancel-secret': secret }, /Invalid x-stream-id/],
    [{ 'x-stream-id': 'abc' }, /Missing x-stream-cancel-secret/],
    [{ 'x-stream-id': 'abc', 'x-stream-cancel-secret': 'short' }, /Invalid x-stream-cancel-secret/],
  ])('answers 400 naming the header (%o)', async (headers, message) => {
    const answer = readStreamHeaders(request(headers));
    expect(answer).toBeInstanceOf(Response);
    const response = answer as Response;
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(message);
  });
});

describe('cancel terminal', () => {
  it('takes the named protocol first, then the detected one, then the upstream headers', () => {
    expect(terminalKindOf('ai-sdk', null, null)).toBe('ai-sdk');
    expect(terminalKindOf('ndjson', null, null)).toBe('none');
    expect(terminalKindOf('auto', 'openai-chat', null)).toBe('sse');
    expect(terminalKindOf('auto', null, null)).toBe('sse');
    const aiSdk = new Response(null, { headers: { 'x-vercel-ai-ui-message-stream': 'v1' } });
    expect(terminalKindOf('auto', null, aiSdk)).toBe('ai-sdk');
    const unknown = new Response(null, { headers: { 'content-type': 'application/octet-stream' } });
    expect(terminalKindOf('auto', null, unknown)).toBe('none');
  });

  it('writes the usage into the SSE terminal and nothing for plain bytes', () => {
    const sse = new TextDecoder().decode(terminalBytes('sse', report)!);
    expect(sse).toBe('event: stream-cancelled\ndata: {"usage":{"inputTokens":3,"outputTokens":5},"usageEstimated":true}\n\n');
    expect(terminalBytes('none', report)).toBeNull();
  });

  it('answers a stream cancelled before its upstream with the terminal alone', async () => {
    const response = cancelledResponse('ai-sdk', 'auto', report);
    expect(response.headers.get('x-stream-cancelled')).toBe('true');
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(await response.text()).toBe('data: {"type":"abort","reason":"cancelled"}\n\ndata: [DONE]\n\n');
    const ndjson = cancelledResponse('none', 'ndjson', report);
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson');
    expect(await ndjson.text()).toBe('');
  });
});

describe('createPassThroughOutput', () => {
  it('asks for a chunk only when the client reads (highWaterMark 0)', async () => {
    const output = createPassThroughOutput();
    const reader = output.readable(true, () => {}).getReader();
    await new Promise((resolve) => setTimeout(resolve, 0)); // a buffering stream would have pulled by now
    expect(output.wanted).toBe(false);
    const demand = output.demand();
    const read = reader.read();
    await demand;
    expect(output.wanted).toBe(true);
    output.enqueue(enc('a'));
    expect(output.wanted).toBe(false);
    expect(new TextDecoder().decode((await read).value)).toBe('a');
  });

  it('ignores writes after close, and a closed-at-birth body is empty', async () => {
    const output = createPassThroughOutput();
    const reader = output.readable(true, () => {}).getReader();
    output.close();
    output.enqueue(enc('late'));
    output.error(new Error('late'));
    expect((await reader.read()).done).toBe(true);

    const gone = createPassThroughOutput();
    expect((await gone.readable(false, () => {}).getReader().read()).done).toBe(true);
  });

  it('errors the body on error, and tells the handler when the client cancels it', async () => {
    const output = createPassThroughOutput();
    const reader = output.readable(true, () => {}).getReader();
    output.error(new Error('upstream broke'));
    await expect(reader.read()).rejects.toThrow('upstream broke');

    const onCancel = vi.fn();
    const cancelled = createPassThroughOutput();
    await cancelled.readable(true, onCancel).cancel();
    expect(onCancel).toHaveBeenCalledOnce();
    cancelled.enqueue(enc('ignored')); // no throw: the body is gone
  });

  it('wake() releases a waiting demand', async () => {
    const output = createPassThroughOutput();
    output.readable(true, () => {});
    const demand = output.demand();
    output.wake();
    await expect(demand).resolves.toBeUndefined();
    expect(output.wanted).toBe(false);
  });
});

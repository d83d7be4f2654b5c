// The answer both contenders receive: 10,000 `text-delta` parts of one short word each, in the AI
// SDK UI message stream format, byte for byte what `createWireEncoder('ai-sdk')` writes
// (src/server/fakeModel/aiSdkEncoder.ts; written out here because the built package does not
// export the encoder): `start`, `start-step`, `text-start`, N x `text-delta`, `text-end`,
// `finish-step`, `finish` (usage in `messageMetadata`), `[DONE]`.

export const DELTAS = 10_000;

const WORDS = 'the stream of tokens arrives from a model and the user may stop it at any moment so the server must hear about it café déjà 東京 ☕'.split(' ');

/** The i-th delta: one word and a space. */
export const delta = (i) => `${WORDS[(i * 7 + (i >> 3)) % WORDS.length]} `;

/** The text both contenders must end with. */
export function expectedText(n = DELTAS) {
  let text = '';
  for (let i = 0; i < n; i++) text += delta(i);
  return text;
}

const sse = (json) => `data: ${JSON.stringify(json)}\n\n`;

/** `{ head, deltas, tail }`: the opening events, one string per delta, the closing events. */
export function aiSdkParts(n = DELTAS) {
  const id = '0';
  const head = sse({ type: 'start', messageId: 'bench-message-1' }) + sse({ type: 'start-step' }) + sse({ type: 'text-start', id });
  const deltas = [];
  for (let i = 0; i < n; i++) deltas.push(sse({ type: 'text-delta', id, delta: delta(i) }));
  const usage = { inputTokens: 1, outputTokens: n, totalTokens: n + 1 };
  const tail =
    sse({ type: 'text-end', id }) +
    sse({ type: 'finish-step' }) +
    sse({ type: 'finish', finishReason: 'stop', messageMetadata: { usage } }) +
    'data: [DONE]\n\n';
  return { head, deltas, tail };
}

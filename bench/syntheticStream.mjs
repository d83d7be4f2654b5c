// A deterministic ~5 MB model answer written in each wire format by the library's own wire
// encoder (the same one the fake model uses): some reasoning, text deltas of one to four words,
// and a few tool calls whose JSON arguments stream in 8–24 character fragments, as real providers do.

import { mulberry32 } from './stats.mjs';
const WORDS = ('the stream of tokens arrives from a model and the user may stop it at any moment so the server '
  + 'must hear about it café naïve déjà vu 東京 データ emoji ☕ 🌱 quotes "like this" and back\\slashes').split(' ');


/**
 * @param {(protocol: string, options?: object) => any} createWireEncoder
 * @param {string} protocol
 * @param {number} targetBytes
 * @returns {{ bytes: Uint8Array, contentType: string, events: number }}
 */
export function makeSyntheticStream(createWireEncoder, protocol, targetBytes, seed = 42) {
  const rand = mulberry32(seed);
  const int = (n) => Math.floor(rand() * n);
  const wire = createWireEncoder(protocol, { id: 'bench-000001' });
  const parts = [wire.start()];
  let size = parts[0].length;
  let events = 0;
  let call = 0;
  const push = (s) => {
    if (s) {
      parts.push(s);
      size += s.length;
      events++;
    }
  };
  // A long answer as models give them: reasoning first (~3%), then text, then a few tool calls
  // with ~2 KB arguments each. (A stream that interleaves hundreds of tool calls with text is
  // legal too, but it makes the AI SDK's per-delta message copies quadratic in the part count, and
  // that is not what this figure is about; bench/partialJson.mjs measures tool arguments.)
  const reasoningEnd = targetBytes * 0.03;
  // (plain text has no reasoning channel: its encoder writes nothing for it)
  while (protocol !== 'text' && size < reasoningEnd) push(wire.reasoning(` ${WORDS[int(WORDS.length)]}`));
  const toolCalls = protocol === 'text' ? 0 : 5;
  const textEnd = targetBytes - toolCalls * 2600;
  while (size < textEnd) {
    let delta = '';
    for (let i = 0, n = 1 + int(4); i < n; i++) delta += ` ${WORDS[int(WORDS.length)]}`;
    push(wire.text(delta));
  }
  for (let c = 0; c < toolCalls; c++) {
    const id = `call_${call++}`;
    const args = JSON.stringify({ query: Array.from({ length: 300 }, () => WORDS[int(WORDS.length)]).join(' '), limit: int(100), exact: rand() < 0.5 });
    push(wire.toolStart(id, 'search'));
    for (let at = 0; at < args.length; ) {
      const len = 8 + int(17);
      push(wire.toolDelta(id, args.slice(at, at + len)));
      at += len;
    }
    push(wire.toolEnd(id));
  }
  push(wire.finish(call > 0 ? 'tool-calls' : 'stop', { inputTokens: 1000, outputTokens: 250000 }));
  // Sizes are counted in UTF-16 units above; the encoded stream is a little larger, which is fine.
  return { bytes: new TextEncoder().encode(parts.join('')), contentType: wire.contentType, events };
}

/** Cuts bytes into network-sized chunks. */
export function chunk(bytes, size = 16 * 1024) {
  const chunks = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** A ReadableStream over prepared chunks (the same for every contender). */
export function streamOf(chunks) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

// Decode throughput: collectStream (ours) against the floor "eventsource-parser framing +
// JSON.parse of each event and nothing else" on the same bytes, per protocol; and, on the AI SDK
// bytes, the AI SDK's own client pipeline (DefaultChatTransport's parser + readUIMessageStream).
import { createParser } from 'eventsource-parser';
import { DefaultChatTransport, readUIMessageStream } from 'ai';
import { collectStream, PROTOCOLS } from '../dist/core/index.js';
import { createWireEncoder } from '../dist/server/index.js';
import { chunk, makeSyntheticStream, streamOf } from './syntheticStream.mjs';
import { gc, median, printTable, round } from './stats.mjs';

const SIZE = 5 * 1024 * 1024;

async function floor(chunks, protocol) {
  const utf8 = new TextDecoder();
  const reader = streamOf(chunks).getReader();
  let count = 0;
  let feed;
  if (protocol === 'text') {
    feed = (text) => void (count += text.length);
  } else if (protocol === 'ndjson') {
    let rest = '';
    feed = (text) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop();
      for (const line of lines) if (line) (JSON.parse(line), count++);
    };
  } else {
    const parser = createParser({ onEvent: (e) => void (e.data !== '[DONE]' && (JSON.parse(e.data), count++)) });
    feed = (text) => parser.feed(text);
  }
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    feed(utf8.decode(value, { stream: true }));
  }
  return count;
}

async function ours(chunks, protocol, contentType) {
  return collectStream(streamOf(chunks), { contentType });
}

async function aiSdk(chunks) {
  const parts = new DefaultChatTransport().processResponseStream(streamOf(chunks));
  let last;
  for await (const message of readUIMessageStream({ stream: parts })) last = message;
  return last;
}

async function time(fn) {
  gc();
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function benchDecode({ quick }) {
  const runs = quick ? 3 : 9;
  const rows = [];
  for (const protocol of PROTOCOLS) {
    const { bytes, contentType, events } = makeSyntheticStream(createWireEncoder, protocol, SIZE);
    const chunks = chunk(bytes);
    const mb = bytes.length / 2 ** 20;
    // warm up both, then alternate so machine noise hits both alike
    await floor(chunks, protocol);
    await ours(chunks, protocol, contentType);
    const floorMs = [];
    const oursMs = [];
    const aiMs = [];
    for (let i = 0; i < runs; i++) {
      floorMs.push(await time(() => floor(chunks, protocol)));
      oursMs.push(await time(() => ours(chunks, protocol, contentType)));
      if (protocol === 'ai-sdk' && i < (quick ? 2 : 5)) aiMs.push(await time(() => aiSdk(chunks)));
    }
    const floorRate = mb / (median(floorMs) / 1000);
    const oursRate = mb / (median(oursMs) / 1000);
    const aiRate = aiMs.length ? mb / (median(aiMs) / 1000) : null;
    rows.push({
      protocol,
      MB: round(mb, 2),
      events,
      'floor MB/s': round(floorRate),
      'ours MB/s': round(oursRate),
      'ours/floor': `${Math.round((oursRate / floorRate) * 100)}%`,
      'AI SDK MB/s': aiRate === null ? '-' : round(aiRate),
      'ours/AI SDK': aiRate === null ? '-' : `${round(oursRate / aiRate)}x`,
    });
  }
  printTable(`decode throughput, median of ${runs} runs (targets: ours/floor >= 50%, ours/AI SDK >= 15x)`, rows);
  return { runs, sizeBytes: SIZE, rows };
}

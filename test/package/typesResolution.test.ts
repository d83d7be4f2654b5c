/**
 * The published types hold under every `moduleResolution` a consumer may use.
 *
 * The package is built and packed (`npm pack`) as for publishing, the tarball installed into a
 * temporary consumer outside the repo (peers and @types linked from the repo's node_modules), and a
 * small consumer importing every entry, with the README's hook and server code, is compiled by the
 * repo's own `tsc` with `strict: true` and `skipLibCheck: false` under `bundler`, `node16`,
 * `nodenext` and `node10`. A new entry in package.json's `exports` is imported automatically (each
 * consumer file also has a generated import of every export), so a future entry is covered too.
 *
 * Before the fix this failed: node16/nodenext reported TS2834 in dist/**\/*.d.ts (relative imports
 * without extensions), and node10 TS2307 for every subpath (`react-model-stream/server`, …).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, installTarball, node, packPackage, repo, tempDir } from './helpers/builtPackage';

const RESOLUTIONS = {
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  // TypeScript 6 deprecates node10 (an error unless acknowledged); consumers still on it are the point.
  node10: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' },
} as const;

/** What the package's types import, linked from the repo: the peers, its dependency, and @types. */
const LINKS = [
  'react',
  'react-dom',
  'zustand',
  '@tanstack/react-query',
  '@tanstack/query-core',
  'redis',
  'eventsource-parser',
  'msw', // the optional peer of react-model-stream/testing (its own types resolve from the repo's node_modules)
  '@types/react',
  '@types/react-dom',
  '@types/node',
];

const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const entries = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json');
const specifier = (subpath: string) => (subpath === '.' ? 'react-model-stream' : `react-model-stream/${subpath.slice(2)}`);

/** Every value export of every entry is typed (not `any`): `skipLibCheck` hiding a broken import shows here. */
const everyEntry = `// Generated from package.json "exports": every entry, none of its values \`any\`.
type AnyMembers<T> = { [K in keyof T]-?: 0 extends 1 & T[K] ? K : never }[keyof T];
${entries.map((subpath, i) => `import * as entry${i} from '${specifier(subpath)}';`).join('\n')}
${entries.map((subpath, i) => `export const typed${i}: [AnyMembers<typeof entry${i}>] extends [never] ? true : false = true; // ${subpath}`).join('\n')}
${entries.map((_, i) => `export const notEmpty${i}: keyof typeof entry${i} extends never ? false : true = true;`).join('\n')}
`;

// The README's code, as a consumer writes it (adapted only where the README leaves a name to the reader).
const files: Record<string, string> = {
  'src/entries.ts': everyEntry,
  'src/Chat.tsx': `import { useState } from 'react';
import { StopButton, useModelStream } from 'react-model-stream';
import { createMessageStore } from 'react-model-stream/store';

const store = createMessageStore({ persist: true });

export function Chat() {
  const [prompt, setPrompt] = useState('');
  const chat = useModelStream({ api: '/api/chat', cancelApi: '/api/chat/cancel', store, conversationId: 'main' });
  return (
    <div>
      <p>{chat.text}</p>
      {chat.toolCalls.map((call) => (
        <pre key={call.id}>
          {call.name}({JSON.stringify(call.args)}) {call.state}
        </pre>
      ))}
      {chat.message?.incomplete && (
        <em>
          {chat.message.incomplete.reason === 'cancelled' ? 'Stopped' : chat.message.incomplete.reason}
          {chat.message.incomplete.serverConfirmed === false && ' (the server did not confirm)'}
        </em>
      )}
      {chat.usage && (
        <small>
          {chat.usage.inputTokens ?? '?'} in / {chat.usage.outputTokens ?? '?'} out{chat.usage.estimated && ' (estimated)'}
        </small>
      )}
      <form onSubmit={(e) => { e.preventDefault(); void chat.start(prompt); }}>
        <input value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        <button type="submit" disabled={chat.status === 'streaming'}>Send</button>
        <StopButton stream={chat}>Stop</StopButton>
      </form>
    </div>
  );
}
`,
  'src/NextChat.tsx': `'use client';
import { ModelStreamProvider, StopButton, toModelMessages, useModelStream } from 'react-model-stream';

export function NextChat() {
  const chat = useModelStream({
    api: '/api/chat',
    cancelApi: '/api/chat/cancel',
    body: (input, { messages }) => ({ input, messages: toModelMessages(messages, { format: 'anthropic', incomplete: 'close' }) }),
  });
  return (
    <ModelStreamProvider stream={chat}>
      <button type="button" onClick={() => chat.start('Plan a weekend in Lyon')}>Ask</button>
      <article aria-live="polite">{chat.text}</article>
      <StopButton className="stop" />
    </ModelStreamProvider>
  );
}
`,
  'src/registry.ts': `import { createStreamRegistry } from 'react-model-stream/server';
export const registry = createStreamRegistry();
`,
  'src/chatRoute.ts': `import { handleModelStream } from 'react-model-stream/server';
import { toModelMessages } from 'react-model-stream';
import { registry } from './registry$EXT';

export async function POST(request: Request) {
  const { input, messages } = await request.clone().json();
  return handleModelStream(request, {
    registry,
    protocol: 'openai-chat',
    upstream: (signal) =>
      fetch('https://api.openai.com/v1/chat/completions', {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', authorization: \`Bearer \${process.env.OPENAI_API_KEY}\` },
        body: JSON.stringify({
          model: 'gpt-4.1-mini',
          stream: true,
          stream_options: { include_usage: true },
          messages: [...toModelMessages(messages), { role: 'user', content: input }],
        }),
      }),
  });
}
`,
  'src/cancelRoute.ts': `import { handleCancel } from 'react-model-stream/server';
import { registry } from './registry$EXT';

export function POST(request: Request) {
  return handleCancel(request, { registry, cors: { origin: 'https://app.example.com' } });
}
`,
  'src/nodeServer.ts': `import { createServer } from 'node:http';
import { createFakeModel, createStreamRegistry, handleCancel, handleModelStream, toNodeHandler } from 'react-model-stream/server';

const model = createFakeModel({ protocol: 'openai-chat' });
const registry = createStreamRegistry();
const chat = toNodeHandler((request) =>
  handleModelStream(request, { registry, upstream: (signal) => model.stream(signal) }),
);
const cancel = toNodeHandler((request) => handleCancel(request, { registry }));

createServer((req, res) => (req.url === '/api/chat/cancel' ? cancel(req, res) : chat(req, res))).listen(3000, '127.0.0.1');
`,
  'src/redis.ts': `import { createRedisStreamRegistry } from 'react-model-stream/server/redis';
export const registry = createRedisStreamRegistry({ url: process.env.REDIS_URL! });
export const cluster = createRedisStreamRegistry({ cluster: { rootNodes: [{ url: 'redis://10.0.0.1:7000' }] } });
`,
  'src/core.ts': `import { collectStream, createPartialJsonParser, decodeStream, StreamHttpError } from 'react-model-stream/core';

export async function read(output: { textContent: string }) {
  const res = await fetch('/api/chat', { method: 'POST', body: JSON.stringify({ prompt: 'Hi' }) });
  if (!res.ok) throw new StreamHttpError(res.status, res.statusText, await res.text());
  const snapshot = await collectStream(res.body!, { contentType: res.headers.get('content-type') });
  for await (const event of decodeStream(res.body!)) {
    if (event.type === 'text-delta') output.textContent += event.delta;
    if (event.type === 'tool-call-delta') console.log(event.id, event.delta);
  }
  const parser = createPartialJsonParser();
  parser.push('{"city":"Gen');
  return [snapshot.text, parser.value(), parser.done()] as const;
}
`,
};

type Resolution = keyof typeof RESOLUTIONS;
let consumer: ReturnType<typeof tempDir>;
let build: ReturnType<typeof tempDir>;
const reports = new Map<Resolution, string>();

/** Writes the consumer for one resolution and compiles it; '' when tsc reports nothing. */
async function compile(resolution: Resolution): Promise<string> {
  const dir = join(consumer.dir, resolution);
  mkdirSync(join(dir, 'src'), { recursive: true });
  // An ESM consumer for node16/nodenext (the package is ESM-only); its relative imports follow suit.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${resolution}`, private: true, type: resolution === 'node10' ? 'commonjs' : 'module' }));
  const ext = resolution === 'node16' || resolution === 'nodenext' ? '.js' : '';
  for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, name), code.replaceAll('$EXT', ext));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...RESOLUTIONS[resolution],
        target: 'es2022',
        lib: ['es2023', 'dom', 'dom.iterable'],
        jsx: 'react-jsx',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        esModuleInterop: true,
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  return node([join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'), '--pretty', 'false']).then(
    () => '',
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || String(error),
  );
}

beforeAll(async () => {
  build = tempDir('types-build');
  consumer = tempDir('types-consumer');
  await buildPackage(build.dir, { declarations: true });
  const tarball = await packPackage(build.dir, join(build.dir, 'pack'));
  await installTarball(tarball, consumer.dir, LINKS);
  // Two compilers at a time: a 2-core machine, shared.
  const queue = Object.keys(RESOLUTIONS) as Resolution[];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) reports.set(next, await compile(next));
  };
  await Promise.all([worker(), worker()]);
  // A build, a pack and four compiles: ≈ 60 s alone on 2 cores, past 120 s when the rest of the
  // suite runs beside it on a loaded machine. A bound for a hung step, not a speed check.
}, 360_000);

afterAll(() => {
  build?.cleanup();
  consumer?.cleanup();
});

describe('the packed package type-checks in a strict consumer (skipLibCheck: false)', () => {
  it.each(Object.keys(RESOLUTIONS) as Resolution[])('moduleResolution %s', (resolution) => {
    expect(reports.get(resolution), `tsc (moduleResolution ${resolution}) reported errors`).toBe('');
  });
});

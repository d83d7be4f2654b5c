/**
 * Every non-React helper of the root entry works on a server.
 *
 * A React Server Components bundler (Next.js) turns every export of a module that starts with
 * 'use client' into a client reference: calling one from a route handler throws ("Attempted to call
 * toModelMessages() from the server but toModelMessages is on the client"). The package is built and
 * packed, installed into a temporary app, and the app's server script runs in Node with a loader
 * hook that does what that bundler does to 'use client' modules (client-references.mjs below); the
 * script calls the root entry's pure helpers and reports which exports are client references.
 *
 * Before the fix, dist/index.js itself carried 'use client': every export of the root was a client
 * reference, and the call to toModelMessages threw the error above.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, installTarball, node, packPackage, tempDir } from './helpers/builtPackage';

// What a server needs at run time, linked from the repo: the peers the package imports, its dependency,
// and the lexer the loader hook reads a module's export names with.
const LINKS = ['react', 'react-dom', 'zustand', '@tanstack/react-query', '@tanstack/query-core', 'eventsource-parser', 'es-module-lexer'];

/** Next.js's server layer, reduced to what matters here: a 'use client' module's exports are references. */
const clientReferences = `import { register } from 'node:module';
register('./client-references-hooks.mjs', import.meta.url);
`;
const clientReferencesHooks = `import { init, parse } from 'es-module-lexer';

const DIRECTIVE = /^(?:\\s|\\/\\/[^\\n]*\\n|\\/\\*[\\s\\S]*?\\*\\/)*['"]use client['"]/;

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (result.format !== 'module' || !url.includes('/node_modules/react-model-stream/')) return result;
  const source = String(result.source);
  if (!DIRECTIVE.test(source)) return result;
  await init;
  const [, exports] = parse(source);
  const stub = (name) =>
    \`export \${name === 'default' ? 'default' : \`const \${name} =\`} Object.defineProperties(function () {
  throw new Error("Attempted to call \${name}() from the server but \${name} is on the client. It's not possible to invoke a client function from the server, it can only be rendered as a Component or passed to props of a Client Component.");
}, { $$typeof: { value: Symbol.for('react.client.reference') }, $$id: { value: \${JSON.stringify(url + '#' + name)} } });\`;
  return { format: 'module', shortCircuit: true, source: exports.map((e) => stub(e.n)).join('\\n') };
}
`;

/** The app's server code: what a Next.js route handler would import from the root entry, and calls. */
const server = `import * as root from 'react-model-stream';
import * as core from 'react-model-stream/core';
import * as store from 'react-model-stream/store';

const isClientReference = (value) => typeof value === 'function' && value.$$typeof === Symbol.for('react.client.reference');
const report = { clientReferences: [], values: [], notShared: [], calls: {} };
for (const [name, value] of Object.entries(root)) {
  (isClientReference(value) ? report.clientReferences : report.values).push(name);
  // The same binding as the server entries export, not a copy of it.
  const same = name in core ? core[name] : name in store ? store[name] : undefined;
  if (!isClientReference(value) && same !== value) report.notShared.push(name);
}

const call = async (name, fn) => {
  try {
    report.calls[name] = { ok: true, value: await fn() };
  } catch (error) {
    report.calls[name] = { ok: false, error: String(error?.message ?? error) };
  }
};

// A stopped answer with a half-written tool call, as the store keeps it.
const messages = [
  { id: 'u1', role: 'user', text: 'Trains to Lyon?', status: 'complete', createdAt: 1 },
  {
    id: 'a1', role: 'assistant', text: 'Looking', status: 'incomplete', createdAt: 2,
    incomplete: { reason: 'cancelled', serverConfirmed: true },
    toolCalls: [{ id: 'call_1', name: 'search_trains', argsText: '{"to":"Ly', args: { to: 'Ly' }, state: 'incomplete' }],
  },
];
await call('toModelMessages', () => root.toModelMessages(messages, { format: 'openai-chat', incomplete: { toolCalls: 'close', note: true } }));
await call('toModelMessages (store entry)', () => store.toModelMessages(messages, { format: 'openai-chat', incomplete: { toolCalls: 'close', note: true } }));
await call('toModelMessages anthropic', () => root.toModelMessages(messages, { format: 'anthropic', incomplete: 'close' }).length);
await call('constants', () => [root.DEFAULT_STOPPED_NOTE, root.STOPPED_TOOL_RESULT, root.INTERRUPTED_TOOL_RESULT, root.MISSING_TOOL_RESULT].map((v) => typeof v));
await call('createPartialJsonParser', () => {
  const parser = root.createPartialJsonParser();
  parser.push('{"city":"Gen');
  return parser.value();
});
const sse = () =>
  new Response(
    'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}\\n\\n' +
      'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\\n\\n' +
      'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\\n\\ndata: [DONE]\\n\\n',
  ).body;
await call('collectStream', async () => {
  const snapshot = await root.collectStream(sse(), { protocol: 'openai-chat' });
  return [snapshot.text, snapshot.finishReason, snapshot.usage];
});
await call('decodeStream', async () => {
  const types = [];
  for await (const event of root.decodeStream(sse(), { protocol: 'openai-chat' })) types.push(event.type);
  return types.includes('text-delta');
});
await call('createStreamId', () => typeof root.createStreamId());
await call('createCancelSecret', () => typeof root.createCancelSecret());
await call('errors', () => new root.StreamHttpError(500, 'Internal Server Error', 'boom') instanceof Error);
await call('PROTOCOLS', () => Array.isArray(root.PROTOCOLS));
await call('useModelStream', () => root.useModelStream({ api: '/api/chat' }));
console.log(JSON.stringify(report));
`;

let app: ReturnType<typeof tempDir>;
let build: ReturnType<typeof tempDir>;
let packageDir = '';
let report: {
  clientReferences: string[];
  values: string[];
  notShared: string[];
  calls: Record<string, { ok: boolean; value?: unknown; error?: string }>;
};

beforeAll(async () => {
  build = tempDir('server-build');
  app = tempDir('server-app');
  await buildPackage(build.dir, { declarations: false });
  packageDir = await installTarball(await packPackage(build.dir, join(build.dir, 'pack')), app.dir, LINKS);
  writeFileSync(join(app.dir, 'package.json'), JSON.stringify({ name: 'server-app', private: true, type: 'module' }));
  writeFileSync(join(app.dir, 'client-references.mjs'), clientReferences);
  writeFileSync(join(app.dir, 'client-references-hooks.mjs'), clientReferencesHooks);
  writeFileSync(join(app.dir, 'server.mjs'), server);
  const { stdout } = await node(['--import', './client-references.mjs', 'server.mjs'], app.dir);
  report = JSON.parse(stdout.trim().split('\n').at(-1)!);
}, 60_000);

afterAll(() => {
  build?.cleanup();
  app?.cleanup();
});

describe('the root entry on a server (a route handler importing from react-model-stream)', () => {
  it('calls toModelMessages, and gets what the store entry gives', () => {
    expect(report.calls.toModelMessages?.error).toBeUndefined();
    expect(report.calls.toModelMessages!.value).toEqual(report.calls['toModelMessages (store entry)']!.value);
    expect(JSON.stringify(report.calls.toModelMessages!.value)).toContain('search_trains');
    expect(report.calls['toModelMessages anthropic']).toEqual({ ok: true, value: 3 });
    expect(report.calls.constants).toEqual({ ok: true, value: ['string', 'string', 'string', 'string'] });
  });

  it('calls the core helpers re-exported from the root', () => {
    expect(report.calls.createPartialJsonParser).toEqual({ ok: true, value: { city: 'Gen' } });
    expect(report.calls.collectStream).toEqual({ ok: true, value: ['Hello', 'stop', { inputTokens: 3, outputTokens: 2 }] });
    expect(report.calls.decodeStream).toEqual({ ok: true, value: true });
    expect(report.calls.createStreamId).toEqual({ ok: true, value: 'string' });
    expect(report.calls.createCancelSecret).toEqual({ ok: true, value: 'string' });
    expect(report.calls.errors).toEqual({ ok: true, value: true });
    expect(report.calls.PROTOCOLS).toEqual({ ok: true, value: true });
  });

  it('only the React modules are client references; every other export is the real, shared value', async () => {
    // The React entry's value exports: hooks, components and the helpers living next to them
    // (stopButtonState, createMutationCancel, CANCEL_MUTATION_KEY).
    const reactExports = Object.keys(await import('../../src/react/index'));
    expect(reactExports).toContain('useModelStream');
    expect(report.clientReferences.sort()).toEqual(reactExports.sort());
    expect(report.values).toContain('toModelMessages');
    expect(report.values.length).toBeGreaterThan(25);
    expect(report.notShared).toEqual([]);
    // And the simulation is live: a hook called on the server throws as in Next.js.
    expect(report.calls.useModelStream).toMatchObject({ ok: false, error: expect.stringContaining('Attempted to call useModelStream() from the server') });
  });

  it("'use client' is on the file holding the React code and on no other", () => {
    const dist = join(packageDir, 'dist');
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const js = walk(dist).filter((file) => file.endsWith('.js'));
    const marked = js.filter((file) => /^['"]use client['"]/.test(readFileSync(file, 'utf8'))).map((file) => relative(dist, file));
    const withReact = js.filter((file) => /from\s*['"]react(-dom)?(\/[^'"]*)?['"]/.test(readFileSync(file, 'utf8'))).map((file) => relative(dist, file));
    expect(marked).toEqual(['react/index.js']);
    expect(withReact).toEqual(marked);
  });
});

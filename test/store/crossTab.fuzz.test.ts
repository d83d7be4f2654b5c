// Random interleavings of appends, streamed updates, removals, clock ticks and event deliveries
// across 2 and 3 tabs, with and without the write throttle: no message may disappear from a tab
// unless some tab removed it. CROSS_TAB_RUNS: runs per configuration (default 150; 1500, 6,000 runs in all, passed once).
import fc from 'fast-check';
import { afterEach, expect, it, vi } from 'vitest';
import type { MessageStore } from '../../src/store/index';
import { createTabs } from '../helpers/tabs';

afterEach(() => { vi.unstubAllGlobals(); vi.resetModules(); vi.useRealTimers(); });

type Op =
  | { k: 'append'; tab: number; conv: number }
  | { k: 'update'; tab: number }
  | { k: 'step'; tab: number; n: number }
  | { k: 'tick' }
  | { k: 'clock' }
  | { k: 'removeMsg'; tab: number }
  | { k: 'removeConv'; tab: number; conv: number };

async function run(nTabs: number, ops: Op[], throttleMs: number) {
  vi.useFakeTimers();
  let clock = 1000;
  const t = createTabs();
  const names = ['A', 'B', 'C'].slice(0, nTabs);
  const stores: MessageStore[] = [];
  const removed = new Set<string>();
  const violations: string[] = [];
  let idn = 0;
  const own = new Map<number, string[]>();
  for (const [i, n] of names.entries()) {
    const s = await t.open(n, { throttleMs }, { now: () => clock, generateId: () => `${n}${++idn}` });
    stores.push(s);
    own.set(i, []);
    s.subscribe((next, prev) => {
      for (const id of Object.keys(prev.messages)) if (!(id in next.messages) && !removed.has(id)) violations.push(`${n} lost ${id}`);
    });
  }
  for (const op of ops) {
    switch (op.k) {
      case 'append': {
        const s = stores[op.tab % nTabs]!;
        const m = s.getState().appendMessage(`c${op.conv}`, { role: 'user', text: 'x' });
        own.get(op.tab % nTabs)!.push(m.id);
        break;
      }
      case 'update': {
        const ids = own.get(op.tab % nTabs)!;
        const id = ids[ids.length - 1];
        if (id) stores[op.tab % nTabs]!.getState().updateMessage(id, (m) => ({ text: m.text + 'y' }));
        break;
      }
      case 'step': t.step(names[op.tab % nTabs]!, op.n); break;
      case 'tick': vi.advanceTimersByTime(throttleMs + 1); break;
      case 'clock': clock += 1; break;
      case 'removeMsg': {
        const s = stores[op.tab % nTabs]!;
        const ids = Object.keys(s.getState().messages);
        const id = ids[0];
        if (id) { removed.add(id); s.getState().removeMessage(id); }
        break;
      }
      case 'removeConv': {
        const s = stores[op.tab % nTabs]!;
        const c = s.getState().conversations[`c${op.conv}`];
        if (c) { for (const id of c.messageIds) removed.add(id); s.getState().removeConversation(`c${op.conv}`); }
        break;
      }
    }
  }
  for (let i = 0; i < 20; i++) { t.settle(); vi.advanceTimersByTime(throttleMs + 1); }
  t.settle();
  const sortRec = (r: Record<string, unknown>) => Object.keys(r).sort().map((k) => [k, JSON.stringify(Object.fromEntries(Object.entries(r[k] as object).sort()))]);
  const snap = (s: MessageStore) => JSON.stringify([sortRec(s.getState().conversations), sortRec(s.getState().messages)]);
  const converged = stores.every((s) => snap(s) === snap(stores[0]!));
  vi.useRealTimers();
  return { violations, converged };
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('append' as const), tab: fc.nat(2), conv: fc.nat(1) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('update' as const), tab: fc.nat(2) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('step' as const), tab: fc.nat(2), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.constant({ k: 'tick' as const }) },
  { weight: 2, arbitrary: fc.constant({ k: 'clock' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('removeMsg' as const), tab: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('removeConv' as const), tab: fc.nat(2), conv: fc.nat(1) }) },
);

for (const nTabs of [2, 3]) for (const throttle of [0, 500]) {
  it(`fuzz ${nTabs} tabs throttle ${throttle}`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
        const r = await run(nTabs, ops, throttle);
        if (r.violations.length > 0) throw new Error(JSON.stringify(r));
      }),
      { numRuns: Number(process.env.CROSS_TAB_RUNS ?? 150), seed: Number(process.env.SEED ?? 42) },
    );
  }, 300_000);
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeFromOtherTab } from '../../src/store/mergeFromOtherTab';
import type { Conversation, Message, MessageStoreData } from '../../src/store/types';

function message(id: string, updatedAt: number, text = id, createdAt = updatedAt): Message {
  return { id, role: 'assistant', text, reasoning: '', toolCalls: [], usage: null, status: 'complete', finishReason: 'stop', createdAt, updatedAt };
}

function data(conversations: Record<string, [number, string[]]>, messages: Message[]): MessageStoreData {
  return {
    conversations: Object.fromEntries(
      Object.entries(conversations).map(([id, [updatedAt, messageIds]]): [string, Conversation] => [id, { id, messageIds, createdAt: 0, updatedAt }]),
    ),
    messages: Object.fromEntries(messages.map((m) => [m.id, m])),
  };
}

describe('mergeFromOtherTab', () => {
  it('two tabs that each started a conversation keep both (crossed writes: nothing deleted)', () => {
    const ours = data({ c1: [1, ['a']] }, [message('a', 1)]);
    const theirs = data({ c2: [2, ['b']] }, [message('b', 2)]);
    const { data: merged, changed, behind } = mergeFromOtherTab(ours, theirs, null);
    expect(changed).toBe(true);
    expect(behind).toBe(true); // the storage lacks c1: this tab must write
    expect(Object.keys(merged.conversations).sort()).toEqual(['c1', 'c2']);
    expect(Object.keys(merged.messages).sort()).toEqual(['a', 'b']);
    expect(merged.messages.a).toBe(ours.messages.a); // unchanged objects keep their identity
  });

  it('the later updatedAt wins per message; a stream in the other tab shows here', () => {
    const ours = data({ c: [1, ['a', 'b']] }, [message('a', 5, 'mine, newer'), message('b', 2, 'Hel')]);
    const theirs = data({ c: [1, ['a', 'b']] }, [message('a', 3, 'theirs, older'), message('b', 4, 'Hello wor')]);
    const { data: merged, changed, behind } = mergeFromOtherTab(ours, theirs, null);
    expect(merged.messages.a!.text).toBe('mine, newer');
    expect(merged.messages.b!.text).toBe('Hello wor');
    expect(merged.conversations.c).toBe(ours.conversations.c);
    expect([changed, behind]).toEqual([true, true]);
  });

  it('nothing new either way: the same data object, no write', () => {
    const ours = data({ c: [1, ['a']] }, [message('a', 1)]);
    const theirs = structuredClone(ours);
    expect(mergeFromOtherTab(ours, theirs, null)).toEqual({ data: ours, changed: false, behind: false });
    expect(mergeFromOtherTab(ours, theirs, null).data).toBe(ours);
  });

  it('both appended to one conversation: the union, theirs inserted by createdAt', () => {
    const ours = data({ c: [3, ['u1', 'a1', 'u3']] }, [message('u1', 1), message('a1', 2), message('u3', 6)]);
    const theirs = data({ c: [4, ['u1', 'a1', 'u2', 'a2']] }, [message('u1', 1), message('a1', 2), message('u2', 4), message('a2', 5)]);
    const { data: merged } = mergeFromOtherTab(ours, theirs, null);
    expect(merged.conversations.c!.messageIds).toEqual(['u1', 'a1', 'u2', 'a2', 'u3']);
    expect(merged.conversations.c!.updatedAt).toBe(4);
  });

  it('a deletion in the other tab (made after it read ours) is applied here', () => {
    const base = data({ c1: [1, ['a']], c2: [1, ['b', 'x']] }, [message('a', 1), message('b', 1), message('x', 1)]);
    const theirs = data({ c2: [2, ['b']] }, [message('b', 1)]); // removed c1 (and a), and message x
    const { data: merged, changed, behind } = mergeFromOtherTab(structuredClone(base), theirs, base);
    expect(Object.keys(merged.conversations)).toEqual(['c2']);
    expect(Object.keys(merged.messages)).toEqual(['b']);
    expect(merged.conversations.c2!.messageIds).toEqual(['b']);
    expect([changed, behind]).toEqual([true, false]);
  });

  it('a deletion there does not remove what this tab changed since (it is written back instead)', () => {
    const base = data({ c1: [1, ['a']] }, [message('a', 1)]);
    const ours = data({ c1: [1, ['a']] }, [message('a', 9, 'edited here after')]);
    const theirs = data({}, []);
    const { data: merged, behind } = mergeFromOtherTab(ours, theirs, base);
    expect(merged.messages.a!.text).toBe('edited here after');
    expect(behind).toBe(true);
  });

  it('an id like __proto__ stays a plain key', () => {
    const ours = data({}, []);
    const theirs = { conversations: {}, messages: JSON.parse('{"__proto__": {"id":"__proto__","updatedAt":1}}') } as MessageStoreData;
    const { data: merged } = mergeFromOtherTab(ours, theirs, null);
    expect(Object.hasOwn(merged.messages, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(merged.messages)).toBe(Object.prototype);
  });

  const arbitraryData = fc
    // One version of a message per (id, updatedAt): two tabs never hold different text for the same instant.
    .array(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), updatedAt: fc.integer({ min: 0, max: 5 }) }).map((e) => ({ ...e, text: `${e.id}@${e.updatedAt}` })), {
      maxLength: 5,
    })
    .chain((entries) =>
      fc.record({ conversation: fc.shuffledSubarray(entries.map((e) => e.id)) }).map(({ conversation }) => {
        const messages = entries.map((e) => message(e.id, e.updatedAt, e.text, 0));
        return data({ c: [messages.length, [...new Set(conversation)]] }, messages);
      }),
    );

  it('property: crossed writes never lose a message of either side, and the winner has the latest updatedAt', () => {
    fc.assert(
      fc.property(arbitraryData, arbitraryData, (ours, theirs) => {
        const { data: merged } = mergeFromOtherTab(ours, theirs, null);
        for (const side of [ours, theirs]) {
          for (const [id, m] of Object.entries(side.messages)) {
            expect(merged.messages[id]).toBeDefined();
            expect(merged.messages[id]!.updatedAt).toBeGreaterThanOrEqual(m.updatedAt);
          }
          // Every message of a side's conversation list is in the merged list, once.
          for (const id of side.conversations.c!.messageIds) expect(merged.conversations.c!.messageIds).toContain(id);
        }
        const ids = merged.conversations.c!.messageIds;
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('property: two tabs exchanging writes settle within a few rounds on the same data (no endless writes)', () => {
    fc.assert(
      fc.property(arbitraryData, arbitraryData, (a, b) => {
        // Each round: one tab merges the other's last write, and writes back only when behind.
        let tabs = [a, b];
        let storage = b; // B wrote last
        let writer = 1;
        let rounds = 0;
        for (; rounds < 6; rounds++) {
          const reader = 1 - writer;
          const { data: merged, behind } = mergeFromOtherTab(tabs[reader]!, storage, null);
          tabs = reader === 0 ? [merged, tabs[1]!] : [tabs[0]!, merged];
          if (!behind) break;
          storage = merged;
          writer = reader;
        }
        expect(rounds).toBeLessThan(4);
        // Both tabs now hold what the storage holds.
        expect(comparable(tabs[0]!)).toEqual(comparable(storage));
        expect(comparable(tabs[1]!)).toEqual(comparable(storage));
      }),
    );
  });
});

/** Data as values, for comparing two tabs' states. */
function comparable(value: MessageStoreData) {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

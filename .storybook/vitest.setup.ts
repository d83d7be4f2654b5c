import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Story tests fail on any `console.error` or `console.warn`: React reports its warnings there
 * (keys, act, updates after unmount, bad props, StrictMode), MSW reports unhandled /api/ requests
 * there, and the library reports the errors it swallows there. The calls are recorded and checked
 * after the story, not thrown from inside the console call, where React could swallow the throw.
 *
 * (The console is wrapped by hand rather than with `vi.spyOn`: Storybook restores every mock
 * before each story.)
 */
const original = { error: console.error, warn: console.warn };
let calls: string[] = [];

function describe(args: unknown[]): string {
  return args.map((arg) => (arg instanceof Error ? `${arg.name}: ${arg.message}` : typeof arg === 'string' ? arg : safeJson(arg))).join(' ');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

beforeEach(() => {
  calls = [];
  console.error = (...args: unknown[]) => {
    calls.push(`console.error: ${describe(args)}`);
    original.error.apply(console, args);
  };
  console.warn = (...args: unknown[]) => {
    calls.push(`console.warn: ${describe(args)}`);
    original.warn.apply(console, args);
  };
});

afterEach(() => {
  console.error = original.error;
  console.warn = original.warn;
  expect(calls, 'no console.error / console.warn during the story (React warnings included)').toEqual([]);
});

import { describe, expect, it } from 'vitest';
import { findOversized } from './unitSize';

/**
 * Units small enough to read in one screen: no file in `src/` over 300 lines, no function over 80
 * (a function's span includes the functions it holds, so a closure factory counts whole). A
 * function may stay longer only with a `unit-size: exempt` comment above it saying why (the partial
 * JSON tokenizer's `push`); a file only by being named here with its reason.
 */
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;
const EXEMPT_FILES = [
  // The partial-JSON tokenizer: one state machine over characters, split only at the cost of its speed (bench/README.md).
  'src/core/partialJson.ts',
];

describe('unit size', () => {
  it(`no file over ${MAX_FILE_LINES} lines and no function over ${MAX_FUNCTION_LINES} in src/`, () => {
    const over = findOversized('src', MAX_FILE_LINES, MAX_FUNCTION_LINES, EXEMPT_FILES).map(({ file, name, lines }) => `${file} ${name}: ${lines} lines`);
    expect(over).toEqual([]);
  });
});

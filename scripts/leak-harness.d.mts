// Types of scripts/leak-harness.mjs, for test/heap/heap.test.ts.

export type LeakCheckOptions = {
  /** Loads the library once the DOM is installed (react-dom decides at import time whether there is one). */
  loadLibrary: () => Promise<{ useModelStream: unknown; createMessageStore: unknown }>;
  /** Default 1000. */
  cycles?: number;
  /** Default 100. */
  warm?: number;
  /** Default 2. */
  budgetMb?: number;
  /** Default `'mixed'` (odd cycles in a new store). */
  mode?: 'mixed' | 'local' | 'store';
  /** Keep each cycle's final message / hook result / unmounted container on purpose (a deliberate leak). Default `'none'`. */
  retain?: 'none' | 'message' | 'handle' | 'container';
};

export type LeakCheckResult = {
  passed: boolean;
  /** Why it failed; empty when it passed. */
  failures: string[];
  /** Heap used after gc(), in bytes. */
  figures: { start?: number; warm?: number; end?: number };
  /** end − warm, in bytes (null when the cycles did not get that far). */
  growth: number | null;
  seconds: number;
  cancels: number;
  /** The report, one line each. */
  lines: string[];
};

export function runLeakCheck(options: LeakCheckOptions): Promise<LeakCheckResult>;

export type RepairQueue = {
  /** Runs `step` now and, until it succeeds, on every `runAll` for `keepForMs`. */
  add(step: () => Promise<unknown> | void): void;
  /** Retries every pending step (on reconnection and heartbeat); drops those whose effect expired. */
  runAll(): void;
  /** How many steps still wait to succeed. */
  size(): number;
  clear(): void;
};

type RepairQueueOptions = {
  /** How long a step is retried: as long as the effect it undoes can last. */
  keepForMs: number;
  isClosed(): boolean;
  /** A step was queued: the heartbeat must tick to retry it. */
  onQueued(): void;
  /** A step ran (or failed again): the heartbeat may stop if nothing else needs it. */
  onSettled(): void;
};

/**
 * The undo steps of commands answered 503 that may still have run (a registration that would
 * block its id, a tombstone that would cancel a stream later). A step that fails (Redis still
 * away) is kept and tried again, never twice at once, until it succeeds or what it undoes expired.
 */
export function createRepairQueue({ keepForMs, isClosed, onQueued, onSettled }: RepairQueueOptions): RepairQueue {
  const repairs = new Map<() => Promise<unknown>, number>();
  const running = new Set<() => Promise<unknown>>();

  const runRepair = async (run: () => Promise<unknown>) => {
    if (running.has(run)) return;
    running.add(run);
    try {
      await run();
      repairs.delete(run);
    } catch {
      // kept for the next reconnection or heartbeat
    } finally {
      running.delete(run);
      onSettled();
    }
  };

  return {
    add(step) {
      if (isClosed()) return;
      const run = async () => {
        await step();
      };
      repairs.set(run, Date.now() + keepForMs);
      onQueued();
      void runRepair(run);
    },
    runAll() {
      for (const [run, until] of repairs) {
        if (Date.now() > until) repairs.delete(run);
        else void runRepair(run);
      }
      onSettled();
    },
    size: () => repairs.size,
    clear: () => repairs.clear(),
  };
}

import type { ResumeLogWriter } from '../../types';

/**
 * The bound on a stream nobody reads (docs/resume.md, "The bounds"): every `detachedMs` after its
 * client went away, asks the log whether a resume read it meanwhile (on any instance); when none
 * did, calls `expire` once. A log that cannot answer (Redis down) counts as unread: nobody pays for
 * a generation nobody can read. Returns the way to stop watching (the stream ended).
 */
export function watchDetached(writer: ResumeLogWriter, detachedMs: number, expire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const check = () => {
    writer.readSince(detachedMs).then(
      (read) => {
        if (stopped) return;
        if (read) arm();
        else expire();
      },
      () => {
        if (!stopped) expire();
      },
    );
  };
  const arm = () => {
    timer = setTimeout(check, detachedMs);
    // Never keep a process alive for this timer alone (Node; other runtimes have no unref).
    (timer as { unref?: () => void }).unref?.();
  };

  arm();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
  };
}

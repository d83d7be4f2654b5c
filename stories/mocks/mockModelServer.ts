import { decodeStream, STREAM_CANCELLED_EVENT, type Protocol, type Usage } from '../../src/core/index';
import type { Fixture } from './fixtures';

/**
 * The model server the stories talk to, run inside the page by MSW. It plays the part of a route
 * built with `handleModelStream` + `handleCancel` (docs/server.md): it replays a recorded
 * transcript at a set pace, registers each stream under the client's `x-stream-id`, and a cancel
 * for that id really stops the replay and ends it the way the server helpers do (the cancel
 * terminal), so a story shows the whole stop contract end to end.
 *
 * Its state is observable (`subscribe` / `getSnapshot`), so the stories can show what the server
 * did next to what the client shows, and the play functions can assert on it.
 */

/** How the cancel endpoint answers. */
export type CancelBehaviour = 'confirm' | 'slow' | 'failing' | 'hanging';

/** What the server knows about one stream. Immutable: every change replaces the record. */
export type MockStream = {
  streamId: string;
  fixtureId: string;
  protocol: Protocol;
  /** Events in the transcript. */
  total: number;
  /** Events sent so far. */
  sent: number;
  /** Events sent after a cancel request arrived (the model kept going while the server was slow). */
  sentAfterCancelRequest: number;
  /**
   * `streaming`; `stalled` (paused on purpose, the model "thinking"); `finished` (the whole
   * transcript went out); `cancelled` (stopped by the cancel endpoint); `client-gone` (the client
   * aborted its fetch: the server was not told, the connection just closed).
   */
  state: 'streaming' | 'stalled' | 'finished' | 'cancelled' | 'client-gone';
  /** The cancel requests for this stream, as the endpoint saw them. */
  cancel: 'none' | 'received' | 'confirmed' | 'failed' | 'hanging' | 'already-finished';
  cancelRequests: number;
  /** What ended the stream after a cancel: the SSE event name, the AI SDK parts, or a plain close. */
  terminal: string | null;
};

type Live = {
  record: MockStream;
  secret: string;
  /** Wakes the replay loop (a cancel or an abort arrived). */
  wake: () => void;
  cancelRequested: boolean;
  /** Resolves with the usage once the replay has written its cancel terminal. */
  terminalWritten: Promise<CancelReport>;
  markTerminalWritten: (report: CancelReport) => void;
  sentText: string;
};

type CancelReport = { usage: Usage; usageEstimated: boolean };

const encoder = new TextEncoder();
const streams = new Map<string, Live>();
const listeners = new Set<() => void>();
let snapshot: readonly MockStream[] = [];

function publish() {
  snapshot = [...streams.values()].map((live) => live.record);
  for (const listener of listeners) listener();
}

function update(live: Live, patch: Partial<MockStream>) {
  live.record = { ...live.record, ...patch };
  publish();
}

/** Resolves after `ms`, or as soon as `wake` is called for this wait. */
function sleep(ms: number, live: Live): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    live.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/** Waits until something wakes the loop (cancel or client abort); a stall has no timeout. */
function waitForWake(live: Live): Promise<void> {
  return new Promise((resolve) => (live.wake = resolve));
}

/**
 * The usage so far, estimated the way `handleModelStream` does it (docs/server.md, "Usage on
 * cancel"): output = ceil(characters / 4) over what was sent, input = the provider's count if it
 * sent one.
 */
async function estimateUsage(sent: string, protocol: Protocol): Promise<CancelReport> {
  let characters = 0;
  let inputTokens: number | null = null;
  for await (const event of decodeStream(new Blob([sent]).stream(), { protocol })) {
    if (event.type === 'text-delta' || event.type === 'reasoning-delta' || event.type === 'tool-call-delta') characters += event.delta.length;
    if (event.type === 'tool-call-start') characters += event.name.length;
    if (event.type === 'usage' && event.usage.inputTokens !== null) inputTokens = event.usage.inputTokens;
  }
  return { usage: { inputTokens, outputTokens: Math.ceil(characters / 4) }, usageEstimated: true };
}

/** The bytes `handleModelStream` appends after a cancel, per protocol (see its `terminalBytes`). */
function terminalOf(protocol: Protocol, report: CancelReport): { bytes: string | null; name: string } {
  if (protocol === 'ai-sdk') return { bytes: 'data: {"type":"abort","reason":"cancelled"}\n\ndata: [DONE]\n\n', name: 'abort + [DONE]' };
  if (protocol === 'text' || protocol === 'ndjson') return { bytes: null, name: 'close (no terminal in this format)' };
  return { bytes: `event: ${STREAM_CANCELLED_EVENT}\ndata: ${JSON.stringify(report)}\n\n`, name: STREAM_CANCELLED_EVENT };
}

export type ReplayOptions = {
  fixture: Fixture;
  streamId: string;
  secret: string;
  /** Delay before each event, in ms. */
  pace: number;
  /** Pause (until cancelled or aborted) after this many events; `undefined` plays to the end. */
  stallAfter?: number;
  /** The request's signal: an aborted request stops the replay. */
  signal?: AbortSignal;
};

/**
 * Starts replaying a transcript for one stream and returns the response body. Each event is
 * enqueued after `pace` ms; nothing is enqueued once the client has gone (the body is cancelled or
 * the request aborted) or after a cancel, which ends the body with the cancel terminal.
 */
export function startReplay({ fixture, streamId, secret, pace, stallAfter, signal }: ReplayOptions): ReadableStream<Uint8Array> {
  let markTerminalWritten!: (report: CancelReport) => void;
  const live: Live = {
    record: {
      streamId,
      fixtureId: fixture.id,
      protocol: fixture.protocol,
      total: fixture.events.length,
      sent: 0,
      sentAfterCancelRequest: 0,
      state: 'streaming',
      cancel: 'none',
      cancelRequests: 0,
      terminal: null,
    },
    secret,
    wake: () => {},
    cancelRequested: false,
    terminalWritten: new Promise((resolve) => (markTerminalWritten = resolve)),
    markTerminalWritten: (report) => markTerminalWritten(report),
    sentText: '',
  };
  streams.set(streamId, live);
  publish();

  let gone = false;
  const clientGone = () => {
    if (gone) return;
    gone = true;
    if (live.record.state === 'streaming' || live.record.state === 'stalled') update(live, { state: 'client-gone' });
    live.wake();
  };
  signal?.addEventListener('abort', clientGone, { once: true });

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const run = async () => {
        for (let i = 0; i < fixture.events.length; i++) {
          if (i === stallAfter) {
            update(live, { state: 'stalled' });
            await waitForWake(live);
          } else {
            await sleep(pace, live);
          }
          if (gone) return;
          if (live.cancelRequested) {
            const report = await estimateUsage(live.sentText, fixture.protocol);
            if (gone) return;
            const terminal = terminalOf(fixture.protocol, report);
            if (terminal.bytes) controller.enqueue(encoder.encode(terminal.bytes));
            controller.close();
            update(live, { state: 'cancelled', terminal: terminal.name });
            live.markTerminalWritten(report);
            return;
          }
          const event = fixture.events[i]!;
          controller.enqueue(encoder.encode(event));
          live.sentText += event;
          update(live, {
            sent: live.record.sent + 1,
            sentAfterCancelRequest: live.record.sentAfterCancelRequest + (live.record.cancel === 'none' ? 0 : 1),
            state: 'streaming',
          });
        }
        controller.close();
        update(live, { state: 'finished' });
      };
      void run();
    },
    cancel() {
      // The client aborted its fetch (local abort after a failed cancel, unmount, Stop without a
      // cancel endpoint). MSW's worker reports this only for `text/event-stream` answers: for
      // other content types it tees the body for its life-cycle events, and a teed stream is
      // cancelled only when both branches are. So a plain-text or NDJSON replay runs to its end
      // after the client left (the client is unaffected: its fetch is aborted all the same).
      // `request.signal` is not wired to the page's fetch in the browser either.
      clientGone();
    },
  });
}

export type CancelAnswer = { status: number; body: Record<string, unknown> };

/**
 * The cancel endpoint: checks the stream's secret, then stops the replay and answers once the
 * cancel terminal is written, like `handleCancel`; or answers slowly, fails, or hangs.
 */
export async function cancelStream(
  streamId: string,
  secret: string | null,
  behaviour: CancelBehaviour,
  { delayMs = 1500, signal }: { delayMs?: number; signal?: AbortSignal } = {},
): Promise<CancelAnswer | null> {
  const live = streams.get(streamId);
  if (!live) return { status: 404, body: { error: `No stream with id ${streamId} is running.` } };
  if (secret !== live.secret) return { status: 403, body: { error: 'Wrong or missing cancel secret.' } };
  update(live, { cancelRequests: live.record.cancelRequests + 1 });
  const ended = () => live.record.state === 'finished' || live.record.state === 'client-gone' || live.record.state === 'cancelled';
  if (ended()) {
    update(live, { cancel: 'already-finished' });
    return { status: 200, body: { status: 'already-finished' } };
  }

  switch (behaviour) {
    case 'failing':
      update(live, { cancel: 'failed' });
      return { status: 500, body: { error: 'The cancel service is unavailable (mock).' } };
    case 'hanging':
      update(live, { cancel: 'hanging' });
      // No answer until the client gives up (its cancelTimeoutMs aborts the request), bounded
      // so that a forgotten story does not keep a promise forever.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      return null;
    case 'slow':
      update(live, { cancel: 'received' });
      // The model keeps generating while the cancel is slow to take effect.
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      break;
    case 'confirm':
      update(live, { cancel: 'received' });
      break;
  }
  // The transcript may have run out while the cancel was slow.
  if (ended()) {
    update(live, { cancel: 'already-finished' });
    return { status: 200, body: { status: 'already-finished' } };
  }
  live.cancelRequested = true;
  live.wake();
  const report = await live.terminalWritten;
  update(live, { cancel: 'confirmed' });
  return { status: 200, body: { status: 'cancelled', usage: report.usage, usageEstimated: report.usageEstimated } };
}

/** The server's view of every stream so far (oldest first), for `useSyncExternalStore`. */
export const mockModelServer = {
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
  getSnapshot(): readonly MockStream[] {
    return snapshot;
  },
  /** One stream's record, or `null`. */
  get(streamId: string | null | undefined): MockStream | null {
    return (streamId && streams.get(streamId)?.record) || null;
  },
};

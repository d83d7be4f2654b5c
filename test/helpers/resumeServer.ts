import type { Protocol } from '../../src/core/types';
import { createFakeModel, type FakeModelScript } from '../../src/server/fakeModel/createFakeModel';
import { startHttpServer, type RecordedRequest, type TestServer } from './httpServer';

// A small server that keeps the docs/resume.md contract for one scripted stream, so the session's
// reconnect can be tested against real sockets: `POST /stream` (the stream, every SSE event with
// an `id: <offset>.<tag>` line as its last field), `GET /resume?streamId=…` (the replay after
// `Last-Event-ID`, then the live rest), `POST /cancel`. Only the contract, no registry or limits:
// once the real `handleResume` exists the tests can point at it instead.

/** How a stream's log ended, as `x-stream-log-ended` says. */
export type LogEnded = 'complete' | 'cancelled' | 'disconnected' | 'error';

/**
 * A connection cut: before writing log unit `event` (0-based, counted over the whole stream), the
 * connection that is about to write it sends the first `bytes` bytes of that unit's wire form, then
 * its socket is destroyed (`destroy`, a read error for the client) or its response ends cleanly
 * (`end`, an end of body without the finish). Each cut happens once.
 */
export type Cut = { event: number; bytes?: number; how?: 'destroy' | 'end' };

export type ResumeServerOptions = {
  protocol: Protocol;
  /** What the fake model answers (default: its coffee answer, with reasoning, text and a tool call). */
  script?: FakeModelScript;
  cuts?: Cut[];
  /** Milliseconds between two log units (default 1; 0: as fast as the event loop goes). */
  intervalMs?: number;
  /** The model stops after this many units and the stream ends with `reason` (the body just ends). */
  stopAfter?: { units: number; reason: LogEnded };
  /** Answers a resume request itself (e.g. `404`, `500`); return `true` when it did. */
  onResume?: (request: RecordedRequest) => boolean | void;
  /** Answers a cancel request itself; return `true` when it did. */
  onCancel?: (request: RecordedRequest) => boolean | void;
  /** SSE events without their `id:` line (a server or proxy that leaves the field out). */
  noIds?: boolean;
};

export type ResumeServer = TestServer & {
  /** The log units (SSE events, NDJSON lines, text pieces) the model sends, in order. */
  units: readonly string[];
  /** The resume requests so far. */
  readonly resumes: RecordedRequest[];
  /** The cancel requests so far. */
  readonly cancels: RecordedRequest[];
  /** How the stream ended, once it did. */
  readonly ended: LogEnded | null;
};

const SSE_PROTOCOLS: readonly Protocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'ai-sdk'];
const TAG = 'a1b2';

/** The fake model's whole answer as log units: SSE events, NDJSON lines, or text in pieces of whole characters. */
export async function scriptUnits(protocol: Protocol, script?: FakeModelScript): Promise<{ units: string[]; headers: Record<string, string> }> {
  const response = createFakeModel({ protocol, tokensPerSecond: 0, id: 'resume-1', script }).stream();
  const body = await response.text();
  const units =
    protocol === 'text' ? (body.match(/[\s\S]{1,7}/gu) ?? []) : protocol === 'ndjson' ? (body.match(/[^\n]*\n/g) ?? []) : (body.match(/[\s\S]*?\n\n/g) ?? []);
  return { units, headers: Object.fromEntries(response.headers) };
}

/** Starts the server on 127.0.0.1 (see the module comment). */
export async function startResumeServer(options: ResumeServerOptions): Promise<ResumeServer> {
  const { protocol, intervalMs = 1 } = options;
  const sse = SSE_PROTOCOLS.includes(protocol);
  const { units, headers } = await scriptUnits(protocol, options.script);
  const cuts = [...(options.cuts ?? [])];
  /** The log: the units the model has produced, with the offset just past each. */
  const log: { text: string; bytes: Buffer; end: number }[] = [];
  let ended: LogEnded | null = null;
  let stream: { id: string; secret: string } | null = null;
  const followers = new Set<() => void>();
  const resumes: RecordedRequest[] = [];
  const cancels: RecordedRequest[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const append = (text: string) => {
    const bytes = Buffer.from(text);
    log.push({ text, bytes, end: (log.at(-1)?.end ?? 0) + bytes.length });
  };
  const finish = (reason: LogEnded) => {
    ended = reason;
    clearTimeout(timer);
    for (const follower of [...followers]) follower();
  };
  const produce = () => {
    const limit = options.stopAfter?.units ?? units.length;
    if (ended) return;
    if (log.length >= limit) return finish(options.stopAfter?.reason ?? 'complete');
    append(units[log.length]!);
    for (const follower of [...followers]) follower();
    timer = setTimeout(produce, intervalMs);
  };
  /** A unit as one connection writes it: SSE events get `id: <offset>.<tag>` as their last field. */
  const wire = (index: number) => {
    const unit = log[index]!;
    return sse && !options.noIds ? Buffer.from(`${unit.text.slice(0, -1)}id: ${unit.end}.${TAG}\n\n`) : unit.bytes;
  };

  /** Writes `res` the log from unit `next` on, then follows the live stream to its end (or a cut). */
  const follow = (res: RecordedRequest['res'], next: number) => {
    const pump = () => {
      // A cut at `log.length` once the stream ended: after the last unit, instead of the clean end.
      while (next < log.length || (ended && next === log.length)) {
        const cut = cuts.findIndex((c) => c.event === next);
        if (cut === -1 && next === log.length) break;
        if (cut !== -1) {
          const { bytes = 0, how = 'destroy' } = cuts.splice(cut, 1)[0]!;
          followers.delete(pump);
          if (bytes > 0) res.write(wire(next).subarray(0, bytes));
          // Let the bytes leave before the cut, so the client really has them.
          setTimeout(() => (how === 'end' ? res.end() : res.socket?.destroy()), 20);
          return;
        }
        res.write(wire(next++));
      }
      if (ended) {
        followers.delete(pump);
        res.end();
      }
    };
    followers.add(pump);
    res.on('close', () => followers.delete(pump));
    pump();
  };

  const onResume = (request: RecordedRequest): void => {
    const { res, headers: h } = request;
    resumes.push(request);
    if (options.onResume?.(request)) return;
    const url = new URL(request.url, 'http://x');
    const json = (status: number, error: string) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    if (request.method !== 'GET') return void res.writeHead(405).end();
    if (!stream || url.searchParams.get('streamId') !== stream.id) return json(404, 'unknown stream');
    if (h['x-stream-cancel-secret'] !== stream.secret) return json(403, 'wrong secret');
    const cursor = h['last-event-id'] as string | undefined;
    let next = 0;
    let head: Buffer | null = null;
    if (cursor !== undefined && sse) {
      const [, offset, tag] = /^(\d+)\.(\w+)$/.exec(cursor) ?? [];
      if (tag !== TAG) return json(400, 'a cursor of another stream');
      next = log.findIndex((unit) => unit.end === Number(offset)) + 1;
      if (next === 0) return json(400, 'not at an event end');
    } else if (cursor !== undefined) {
      const offset = /^\d+$/.test(cursor) ? Number(cursor) : NaN;
      if (!(offset <= (log.at(-1)?.end ?? 0))) return json(400, 'a cursor past the log');
      // Text and NDJSON continue at the very byte: the rest of the unit it falls in, then the next ones.
      next = log.findIndex((unit) => unit.end > offset);
      if (next === -1) next = log.length;
      else head = log[next]!.bytes.subarray(offset - (log[next]!.end - log[next]!.bytes.length));
      if (head) next++;
    }
    res.writeHead(200, { ...headers, ...(ended ? { 'x-stream-log-ended': ended } : {}) });
    if (head?.length) res.write(head);
    follow(res, next);
  };

  const onCancel = (request: RecordedRequest) => {
    cancels.push(request);
    if (options.onCancel?.(request)) return;
    const answer = ended === 'complete' ? { status: 'already-finished' } : { status: 'cancelled', usage: null };
    if (!ended) {
      // The cancel terminal closes the log of an SSE stream (the client reads it as a finish `cancelled`).
      if (sse) append('event: stream-cancelled\ndata: {"usage":null}\n\n');
      finish('cancelled');
    }
    request.res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  };

  const server = await startHttpServer((request) => {
    if (request.url.startsWith('/resume')) return onResume(request);
    if (request.url.startsWith('/cancel')) return onCancel(request);
    stream = { id: String(request.headers['x-stream-id']), secret: String(request.headers['x-stream-cancel-secret']) };
    request.res.writeHead(200, headers);
    follow(request.res, 0);
    produce();
  });
  return {
    ...server,
    units,
    resumes,
    cancels,
    get ended() {
      return ended;
    },
    close() {
      clearTimeout(timer);
      return server.close();
    },
  };
}

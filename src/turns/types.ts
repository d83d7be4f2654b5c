// The turns layer (src/turns/): what a `start()` does, without React. It sits between store/ and
// react/: it imports core/ and store/ (pure functions and types, never zustand itself, which the
// app passes in as `store`) and nothing from React or TanStack Query, so that its behaviour (lanes,
// the StrictMode dedupe, the request, the store wiring) is testable in plain Node
// (test/turns/, whose noReact.test.ts holds the rule). react/useModelStream only gives it a lifetime.
import type { CancelFunction } from '../core/createCancelRequest';
import type { IncompleteReason, StopResult, StreamSession, StreamStatus } from '../core/createStreamSession';
import type { Deferred } from '../core/internal/createDeferred';
import type { NotifyScheduler } from '../core/scheduler';
import type { Protocol } from '../core/types';
import type { Message, MessageStore } from '../store/types';

/** How a stream ended, as `onFinish` reports it. */
export type StreamEndReason = 'complete' | IncompleteReason;

/** What the request-body builder receives besides the input. */
export type RequestBodyContext = {
  /** The conversation so far (store mode), oldest first, without the new turn. Empty without a store. */
  messages: readonly Message[];
  conversationId: string | undefined;
  streamId: string;
  /**
   * The step of a tool run (docs/tools.md), from 1. From step 2 on, `messages` holds the input's
   * user message, the previous steps and their stored tool results; `input` is given again.
   */
  step: number;
};

/** What a tool's `execute` receives besides the arguments. */
export type ToolContext = {
  /** Aborts when the user stops the run (Stop, or a new start on the lane). */
  signal: AbortSignal;
  toolCallId: string;
};

/** Runs one tool call: its (parsed) arguments in, a JSON-serializable result out (or a throw: an `error` result). */
export type ToolExecute<Args = any, Result = unknown> = (args: Args, context: ToolContext) => Result | Promise<Result>;

/**
 * A tool the run executes by itself: its `execute` function, or `{ execute, needsApproval }`,
 * where a call that needs approval waits (`awaiting-approval`) for `approveToolCall` /
 * `denyToolCall`.
 *
 * @example
 * ```ts
 * const tools: Tools = {
 *   get_weather: async ({ city }, { signal }) => (await fetch(`/api/weather?city=${city}`, { signal })).json(),
 *   delete_file: { execute: ({ path }) => deleteFile(path), needsApproval: true },
 * };
 * ```
 */
export type Tool<Args = any, Result = unknown> =
  | ToolExecute<Args, Result>
  | { execute: ToolExecute<Args, Result>; needsApproval?: boolean | ((args: Args) => boolean | Promise<boolean>) };

/** The tools of a run, by the name the model calls them with. */
export type Tools = Record<string, Tool>;

/**
 * Where a tool run stands between its streams (docs/tools.md): `tools` while a step's tool calls
 * run, await approval or await `addToolResult` (Stop still ends the run). The hook's `status` is
 * this or the stream's.
 */
export type ModelStreamStatus = StreamStatus | 'tools';

/** The options of a turn, i.e. of `useModelStream` (`UseModelStreamOptions` is this type). */
export type TurnOptions<Input = string> = {
  /** The streaming endpoint (e.g. a Next.js route handler using `handleModelStream`). */
  api: string | URL;
  /** The cancel endpoint (`handleCancel`). Without it, Stop only aborts locally (`serverConfirmed: false`). */
  cancelApi?: string | URL;
  /**
   * The resume endpoint (`handleResume`, docs/resume.md): a connection that drops mid-answer is
   * resumed (status `reconnecting`, the message stays `streaming`) instead of ending `disconnected`.
   *
   * @example
   * ```ts
   * useModelStream({ api: '/api/chat', cancelApi: '/api/chat/cancel', resumeApi: '/api/chat/resume' });
   * ```
   */
  resumeApi?: string | URL;
  /** How `resumeApi` is retried: `attempts` (default 5), a jittered delay doubling from `minDelayMs` (250) to `maxDelayMs` (4000). */
  reconnect?: { attempts?: number; minDelayMs?: number; maxDelayMs?: number };
  /** The wire format, or `'auto'` (default). */
  protocol?: Protocol | 'auto';
  /** Extra headers for the stream and cancel requests, or a function returning them per request. */
  headers?: HeadersInit | (() => HeadersInit);
  credentials?: RequestCredentials;
  /**
   * Builds the request body from `start(input)`. A plain object is sent as JSON. Default:
   * `{ input, messages: [{ role, content }], conversationId }` (turns without text left out). For
   * history in a provider's own shape, use `toModelMessages` from `react-model-stream/store`.
   */
  body?: (input: Input, context: RequestBodyContext) => BodyInit | Record<string, unknown> | null;
  /**
   * A store to keep the conversation in (`createMessageStore()`); the stream then outlives this
   * component. Every hook on the same store and `conversationId` shows (and can stop) the same
   * stream, the current or last one of that conversation (its lane: docs/store.md#lanes-and-turns);
   * a start stops the one running there, never one of another conversation.
   */
  store?: MessageStore;
  /**
   * The browser's HTTP/1.1 connection limit per host (default 6 in browsers). With that many
   * streams open to the cancel endpoint's origin, Stop frees its own connection right after
   * sending the cancel, so the cancel is not queued behind the streams (see `createStreamSession`).
   */
  connectionsPerHost?: number;
  /** The conversation the messages go to (store mode). Default `'default'`. */
  conversationId?: string;
  /** How often the component re-renders while streaming: once per animation frame (default), every N ms, or every delta (`false`). */
  throttle?: 'frame' | number | false;
  /**
   * A notify scheduler of your own (tests, custom batching); overrides `throttle`.
   *
   * @example
   * ```ts
   * const queue: (() => void)[] = [];
   * const scheduler: NotifyScheduler = (flush) => {
   *   queue.push(flush);
   *   return () => queue.splice(queue.indexOf(flush) >>> 0, 1);
   * };
   * useModelStream({ api: '/api/chat', scheduler }); // re-renders only when you run the queue
   * ```
   */
  scheduler?: NotifyScheduler;
  /** Bound on the server cancel. Default 3000 ms. */
  cancelTimeoutMs?: number;
  /** How long the stream may take to deliver its final usage after the cancel. Default 250 ms. */
  drainMs?: number;
  /** Default 30000 ms; 0 = off. */
  firstByteTimeoutMs?: number;
  /** Default off. */
  idleTimeoutMs?: number;
  /** The `fetch` to use. */
  fetch?: typeof fetch;
  /** Where AI SDK streams carry usage in `messageMetadata`. Default `['usage']`. */
  aiSdkUsagePath?: readonly string[];
  /**
   * Tools the model may call (docs/tools.md): a step that ends with tool calls runs them, and the
   * next step starts by itself with their results, up to `maxSteps`. Needs `store`.
   *
   * @example
   * ```ts
   * useModelStream({
   *   api: '/api/chat', cancelApi: '/api/chat/cancel', store,
   *   body: (input, { messages, step }) => ({ input: step === 1 ? input : undefined, messages: toModelMessages(messages, { format: 'anthropic' }) }),
   *   tools: { get_weather: async ({ city }, { signal }) => getWeather(city, signal) },
   *   maxSteps: 3,
   * });
   * ```
   */
  tools?: Tools;
  /** The most streams (steps) one run makes with `tools`. Default 5; the last step's tool calls stay unanswered. */
  maxSteps?: number;
  /**
   * Called once per `start()` when it ends, with the final message: once per stream, and with
   * `tools` once per run (the last step's message; earlier steps are in the store).
   */
  onFinish?: (result: { message: Message; reason: StreamEndReason }) => void;
  /** Called when a stream ends with an error (before `onFinish`). */
  onError?: (error: Error) => void;
};

/**
 * How a turn's server cancel runs, on a client read at each cancel (`client()`). The React layer
 * passes `createMutationCancel` (a TanStack Query mutation); kept a parameter so that this layer
 * imports no TanStack Query, whose React package imports React.
 */
export type RunCancel<Client> = (client: () => Client, cancel: CancelFunction) => CancelFunction;

/**
 * One turn: a `start(input)` and the assistant message streaming in answer (docs/store.md#lanes-and-turns);
 * also the promise `start()` returns (settled by `resolve` with the final message).
 */
export type Turn<Client = unknown> = Deferred<Message> & {
  session: StreamSession;
  /** The client the turn's server cancel runs on; a `stop({ queryClient })` replaces it. */
  cancelClient: Client;
  messageId: string;
  createdAt: number;
  /** What `start()` was given, and whether it was given in the task still running (the dedupe). */
  input: unknown;
  thisTask: boolean;
  /** The stream's cancel secret, when the turn chose it (resume on: another page resumes with it). */
  secret?: string;
  /**
   * Whether the turn writes its message (a resumed stream does only once it caught up with what
   * the message shows, and never when the resume failed: docs/resume.md). Absent: always.
   */
  shows?: () => boolean;
  /** The tool run the turn is a step of (`tools` given): its status, Stop and tool actions. Absent until its module loaded. */
  run?: ToolRun;
  /** A Stop reached the turn (before its run's module loaded, the run stops as soon as it does). */
  halted?: boolean;
  /**
   * A step of a tool run resumed by another page (createResumeTurn): its final message, with what
   * the run that died with its page left unanswered marked (docs/tools.md, "A reload during a run").
   */
  endRun?: (message: Message) => Message;
};

/** A tool run (docs/tools.md), shared by the turns of its steps. Its status changes are told to the lanes' listeners. */
export type ToolRun = {
  /** `tools` between streams; `incomplete` once stopped there; `null`: the step's stream says. */
  status: 'tools' | 'incomplete' | null;
  /** Ends the whole run, wherever it is. Idempotent. */
  stop(): Promise<StopResult>;
  /*
   * The hook's tool actions (`useModelStream`'s result forwards them to its turn's run: docs/tools.md),
   * here so that their code is in the run's lazy chunk. Each acts on a call of the current step
   * that has no result yet. Absent on a run that ended with its page (createResumeTurn): no-ops.
   */
  addToolResult?(toolCallId: string, result: unknown): void;
  addToolError?(toolCallId: string, error: unknown): void;
  approveToolCall?(toolCallId: string): void;
  denyToolCall?(toolCallId: string, reason?: string): void;
};

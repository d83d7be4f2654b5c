import type { Protocol } from '../../core/types';
import type { CancelReport, ResumeLogWriter, StreamRegistration } from '../types';
import type { TerminalKind } from './cancelTerminal';
import type { FinishReporter } from './createFinishReporter';
import type { Forwarder } from './createForwarder';
import type { SideDecoder } from './createSideDecoder';
import type { ResolvedResume } from './resume/resolveResume';

/**
 * One stream request's phase: `waiting` for the upstream, `streaming`, then, for good, `ended`
 * (its end, a failure, a refusal), `cancelled` or `disconnected` (the client left, `onDisconnect:
 * 'abort'`).
 */
export type Phase = 'waiting' | 'streaming' | FinalPhase;
export type FinalPhase = 'ended' | 'cancelled' | 'disconnected';

/** Everything that changes over one stream request, in one place. */
export type ModelStreamState = {
  phase: Phase;
  /** A client is reading the body (false once it went away, also in `'continue'` mode). */
  attached: boolean;
  /** What a cancel answers once the stream was cancelled, or stopped by a disconnect (`null`: it had finished). */
  report: CancelReport | null;
  /**
   * The upstream's finish (or in-stream error) event was read, and with it forwarded to the client:
   * the model is done. A cancel from now on answers `already-finished` and leaves the rest (the
   * provider's usage chunk, `[DONE]`) to pass through, so the client and the cancel answer agree.
   */
  modelFinished: boolean;
  upstream: Response | null;
  reader: ReadableStreamDefaultReader<Uint8Array> | null;
  registration: StreamRegistration | null;
  /** The registration was finished (it is finished once). */
  unregistered: boolean;
  /** Stops the detached bound's timer (resume on, the client gone). */
  unwatch: (() => void) | null;
  /** The stream's resume log, once it answers (resume on). */
  resumeLog: ResumeLogWriter | null;
};

/**
 * One stream request as the steps of its life see it (`createModelStream` makes it; `answerUpstream`
 * and `pumpUpstream` take it): its state, the parts that read and forward the upstream, and the
 * lifecycle's two entries that those steps call.
 */
export type ModelStreamContext = {
  readonly state: ModelStreamState;
  readonly protocol: Protocol | 'auto';
  readonly decoder: SideDecoder;
  readonly forwarder: Forwarder;
  /** The resume log's store and bounds (`null`: resume off), and what the log is created with. */
  readonly resume: ResolvedResume | null;
  readonly secretHash: string;
  /** Runs `onFinish` once the stream is over (`end` tells it; the pump says when the upstream broke). */
  readonly finish: FinishReporter;
  /** The one way out: see `createModelStream`. */
  end(phase: FinalPhase, stopped?: CancelReport): void;
  /** The client went away (its request aborted, or the runtime cancelled the body). */
  onClientGone(): void;
  /** The cancel terminal that fits this stream, from what is known of it now. */
  terminalKind(): TerminalKind;
};

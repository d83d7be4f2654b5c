import type { CancelListener, CancelReport } from '../types';

/** A stream this instance serves. */
export type LocalEntry = { onCancel: CancelListener; secretHash: string };

/** How a cancel of a live or finished stream ended, as the owner tells it. */
export type Outcome = { status: 'cancelled'; report: CancelReport } | { status: 'already-finished' };

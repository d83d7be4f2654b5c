/** What went wrong in a store action. */
export type MessageStoreErrorType =
  /** `appendMessage` was given an id that is already in the store. */
  'duplicate-message-id';

/** A store action was used in a way that would corrupt the state. Branch on `type`. */
export class MessageStoreError extends Error {
  override readonly name = 'MessageStoreError';
  constructor(
    readonly type: MessageStoreErrorType,
    message: string,
  ) {
    super(message);
  }
}

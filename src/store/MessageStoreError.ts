/** What went wrong in a store action. */
export type MessageStoreErrorType =
  /** `appendMessage` was given an id that is already in the store. */
  'duplicate-message-id';

/** A store action was used in a way that would corrupt the state. Branch on `type`. */
export class MessageStoreError extends Error {
  // Declared and set in the constructor, as in core/errors.ts (same own properties, less bundle).
  declare readonly type: MessageStoreErrorType;
  declare readonly name: 'MessageStoreError';
  constructor(type: MessageStoreErrorType, message: string) {
    super(message);
    this.type = type;
    this.name = 'MessageStoreError';
  }
}

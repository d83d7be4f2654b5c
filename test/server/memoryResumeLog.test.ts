/** The resume log contract (test/server/helpers/resumeLogContract.ts) on the in-memory registry's store. */
import { describe } from 'vitest';
import { createStreamRegistry } from '../../src/server/createStreamRegistry';
import { resumeLogContract } from './helpers/resumeLogContract';

describe('the in-memory resume log', () => {
  resumeLogContract({ create: async () => createStreamRegistry() });
});

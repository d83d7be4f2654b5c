import { describe, it } from 'vitest';
import { loadFixtures, seededRandom } from '../helpers/fixtures';
import { compare, SDK } from '../helpers/sdkAccumulators';

// Every fixture through our collectStream and through the official SDKs' own accumulators
// (test/helpers/sdkAccumulators): what the SDK keeps (text, refusal, reasoning, signatures, tool
// input, usage details, stop sequence, citations / annotations) our snapshot must keep too.

/** Fixtures the SDK cannot finish: a Responses stream without its terminal event (`finalResponse()` rejects, no snapshot getter). */
const SDK_CANNOT = new Set(['b-openai-responses/3-cutoff-mid-tool-call', 'b-openai-responses/4-error-midstream']);

describe('fidelity to the official SDKs (openai-node, @anthropic-ai/sdk) on the same bytes', () => {
  for (const fixture of loadFixtures()) {
    if (!SDK[fixture.protocol] || SDK_CANNOT.has(fixture.name)) continue;
    // Error fixtures: the SDK stops at the error event; everything before it is compared.
    it(`${fixture.name}: every fixture, randomly split`, async () => {
      const random = seededRandom(fixture.bytes.length);
      for (let run = 0; run < 5; run++) await compare(fixture.protocol, fixture.bytes, random);
    });
  }
});

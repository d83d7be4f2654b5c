// For the repository's e2e test (not needed in your app): what the fake model generated per answer.
import { fakeModel, registry } from '../../../lib/model';

export const dynamic = 'force-dynamic';

export function GET() {
  const runs = fakeModel.runs.map(({ id, tokens, abortedAt, tokensAfterAbort, finished }) => ({ id, tokens, aborted: abortedAt !== null, tokensAfterAbort, finished }));
  return Response.json({ runs, registrySize: registry.size() });
}

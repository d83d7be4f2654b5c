import { handleCancel } from 'react-model-stream/server';
import { registry } from '../../../../lib/model';

export function POST(request: Request) {
  return handleCancel(request, {
    registry,
    // Optional: your own session check on top of the stream's secret, for example
    // authorize: async (request, streamId) => (await getSession(request)) !== null,
  });
}

import { handleModelStream } from 'react-model-stream/server';
import type { Message } from 'react-model-stream/store';
import { callModel, registry } from '../../../lib/model';

export async function POST(request: Request) {
  const { input, messages } = (await request.clone().json()) as { input: string; messages: Message[] };
  return handleModelStream(request, {
    registry,
    // The signal is aborted on cancel: the provider's request is cut and it stops generating.
    upstream: (signal) => callModel(input, messages, signal),
  });
}

// The wire encoder for a protocol: picks the format's encoder. Each format lives in the module named
// after its encoder; the contract is `WireEncoder`.

import type { Protocol } from '../../core/types';
import { aiSdkEncoder } from './aiSdkEncoder';
import { anthropicEncoder } from './anthropicEncoder';
import { chatEncoder } from './chatEncoder';
import { responsesEncoder } from './responsesEncoder';
import { textEncoder } from './textEncoder';
import type { WireEncoder, WireEncoderOptions } from './WireEncoder';

export type { WireEncoder, WireEncoderOptions } from './WireEncoder';

/**
 * Creates an encoder for one answer in `protocol`.
 *
 * @example
 * ```ts
 * const wire = createWireEncoder('anthropic', { id: 'msg_1' });
 * const body = wire.start() + wire.text('Hello') + wire.finish('stop', { inputTokens: 5, outputTokens: 1 });
 * new Response(body, { headers: { 'content-type': wire.contentType } });
 * ```
 */
export function createWireEncoder(protocol: Protocol, options: WireEncoderOptions = {}): WireEncoder {
  switch (protocol) {
    case 'openai-chat':
    case 'ndjson':
      return chatEncoder(protocol, options);
    case 'openai-responses':
      return responsesEncoder(options);
    case 'anthropic':
      return anthropicEncoder(options);
    case 'ai-sdk':
      return aiSdkEncoder(options);
    case 'text':
      return textEncoder();
  }
}

/*
 * The provider-neutral form of a history message: what `toModelMessages` decides once (which tool
 * calls go, with which result, and the stopped note) before each provider's writer
 * (`toOpenAIChat`, `toOpenAIResponses`, `toAnthropic`) puts it in that provider's shape.
 */

/** One tool call ready to send: arguments as a JSON text and as an object, and its result text. */
export type SendableCall = { id: string; name: string; arguments: string; input: Record<string, unknown>; result: string; isError: boolean };

/** A message reduced to what every format needs. */
export type Turn = { role: 'user' | 'assistant'; text: string; calls: SendableCall[] };

import type { ReasoningBlock } from '../core/types';

/*
 * The provider-neutral form of a history message: what `toModelMessages` decides once (which tool
 * calls go, with which result, which reasoning blocks, and the stopped note) before each provider's
 * writer (`toOpenAIChat`, `toOpenAIResponses`, `toAnthropic`) puts it in that provider's shape.
 */

/** One tool call ready to send: arguments as a JSON text and as an object, and its result text. */
export type SendableCall = { id: string; name: string; arguments: string; input: Record<string, unknown>; result: string; isError: boolean };

/**
 * A reasoning block ready to send, placed among what is sent: it came after `text.slice(0, textOffset)`
 * and after `callsBefore` of the turn's `calls` (the sent ones, not the message's).
 */
export type TurnReasoning = ReasoningBlock & { textOffset: number; callsBefore: number };

/**
 * A message reduced to what every format needs. `refusal`: the model's refusal text, for Chat only
 * (its own request field); for the other formats a refusal is already the `text` when there is no other.
 */
export type Turn = { role: 'user' | 'assistant'; text: string; calls: SendableCall[]; reasoning: TurnReasoning[]; refusal?: string };

import { randomBytes } from 'node:crypto';
import type { ChatTurn, FakeReply, FakeToolCall, ResolvedReply } from './fake-types.js';

/** Fake token count: whitespace-separated words. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w.length > 0).length;
}

export function promptTokens(turns: ChatTurn[]): number {
  return turns.reduce((sum, t) => sum + countWords(t.text), 0);
}

/** Word-sized deltas (each word keeps its leading whitespace) that join back to `text`. */
export function splitIntoChunks(text: string): string[] {
  const words = text.match(/\s*\S+(?:\s+$)?/g);
  if (words) return words;
  return text.length > 0 ? [text] : [];
}

/** Splits a tool-call argument string into up to three fragments, never inside a code point. */
export function argumentFragments(args: string): string[] {
  const chars = Array.from(args);
  if (chars.length < 3) return [args];
  const third = Math.ceil(chars.length / 3);
  return [0, 1, 2].map((i) => chars.slice(i * third, (i + 1) * third).join('')).filter((s) => s.length > 0);
}

/** Tool arguments as an object, for providers that send objects (Anthropic, Ollama). */
export function argumentsObject(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args === '' ? '{}' : args);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Random id characters from `alphabet` (lowercase + digits for Ollama, mixed case otherwise). */
export function randomId(length: number, alphabet = ALPHANUMERIC): string {
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

export interface ResolveOptions {
  turns: ChatTurn[];
  /** The request's output limit; a longer default reply is cut and finishes with `length`. */
  maxTokens?: number;
  newToolCallId: () => string;
}

/** Fills in a scripted reply, or builds the default `Echo: <last user message>` reply. */
export function resolveReply(reply: FakeReply | undefined, options: ResolveOptions): ResolvedReply {
  const toolCalls = (reply?.toolCalls ?? []).map(
    (c: FakeToolCall): Required<FakeToolCall> => ({
      id: c.id ?? options.newToolCallId(),
      name: c.name,
      arguments: c.arguments,
    }),
  );
  let text = reply?.text ?? reply?.chunks?.join('') ?? (toolCalls.length > 0 ? '' : echoText(options.turns));
  let chunks = reply?.chunks ?? splitIntoChunks(text);
  let finishReason = reply?.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  const limit = options.maxTokens;
  if (reply?.finishReason === undefined && limit !== undefined && limit >= 0 && chunks.length > limit) {
    chunks = chunks.slice(0, limit);
    text = chunks.join('');
    finishReason = 'length';
  }
  const completion = countWords(text) + toolCalls.reduce((n, c) => n + 1 + countWords(c.arguments), 0);
  const usage = reply?.usage ?? { promptTokens: promptTokens(options.turns), completionTokens: completion };
  return { text, chunks, toolCalls, finishReason, usage };
}

function echoText(turns: ChatTurn[]): string {
  const lastUser = [...turns].reverse().find((t) => t.role === 'user');
  return `Echo: ${lastUser?.text ?? ''}`.trimEnd();
}

/** Text of a message `content` that is a string or an array of typed parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      if (part === null || typeof part !== 'object') return '';
      const p = part as Record<string, unknown>;
      if (typeof p.text === 'string') return p.text;
      if (p.type === 'tool_result') return contentText(p.content);
      return '';
    })
    .filter((t) => t.length > 0)
    .join('\n');
}

/** `messages` reduced to turns; non-object entries are skipped. */
export function turnsOf(messages: unknown): ChatTurn[] {
  if (!Array.isArray(messages)) return [];
  return messages.flatMap((m: unknown) => {
    if (m === null || typeof m !== 'object') return [];
    const msg = m as Record<string, unknown>;
    return [{ role: typeof msg.role === 'string' ? msg.role : '', text: contentText(msg.content) }];
  });
}

export function numberField(body: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = body[key];
    if (typeof value === 'number') return value;
  }
  return undefined;
}

import type { ChatMessage } from '../core/chat.types.js';
import type { ModelInfo } from '../registry/model-info.js';
import type { TokenCounter } from '../tokens/token-counter.js';

/** A user message and everything after it up to the next one: dropped whole, never split. */
export function splitTurns(history: readonly ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  for (const m of history) {
    const current = turns[turns.length - 1];
    if (!current || m.role === 'user') turns.push([m]);
    else current.push(m);
  }
  return turns;
}

export interface TrimResult {
  kept: ChatMessage[];
  droppedTurns: number;
}

/**
 * Drops the oldest turns of `history` until it fits in `budget` tokens, the room the context window
 * leaves after the messages that are never trimmed (system prompt, the new messages, tools) and the
 * completion. Chat token counts are additive per message (OpenAI's formula: a fixed reply priming plus
 * each message's own count), so each message is counted once and the cut is exact. A tool-call answer
 * and its tool results belong to the turn of the user message before them, so they go together.
 */
export async function trimHistory(
  history: readonly ChatMessage[],
  budget: number,
  info: ModelInfo,
  counter: TokenCounter,
): Promise<TrimResult> {
  const turns = splitTurns(history);
  const priming = await counter.countChat([], info);
  const costs = await Promise.all(
    turns.map(async (turn) => {
      let sum = 0;
      for (const m of turn) sum += (await counter.countChat([m], info)) - priming;
      return sum;
    }),
  );
  let total = costs.reduce((a, b) => a + b, 0);
  let dropped = 0;
  while (dropped < turns.length && total > budget) {
    total -= costs[dropped] ?? 0;
    dropped++;
  }
  return { kept: turns.slice(dropped).flat(), droppedTurns: dropped };
}

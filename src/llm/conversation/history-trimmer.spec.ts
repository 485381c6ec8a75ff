import type { ChatMessage } from '../core/chat.types.js';
import { resolveModelInfo } from '../registry/model-info.js';
import { TokenCounter } from '../tokens/token-counter.js';
import { splitTurns, trimHistory } from './history-trimmer.js';

const info = resolveModelInfo('openai', 'gpt-4o-mini');
const counter = new TokenCounter();

const toolTurn: ChatMessage[] = [
  { role: 'user', content: 'What is the weather in Paris?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
  { role: 'assistant', content: 'It is 21 °C in Paris.' },
];
const history: ChatMessage[] = [
  { role: 'user', content: 'First question about apples and pears' },
  { role: 'assistant', content: 'First answer, fairly long, about apples and pears.' },
  ...toolTurn,
  { role: 'user', content: 'Third question' },
  { role: 'assistant', content: 'Third answer' },
];

/** What the whole list costs as the upstream counts it, minus the fixed reply priming. */
async function cost(messages: ChatMessage[]): Promise<number> {
  return (await counter.countChat(messages, info)) - (await counter.countChat([], info));
}

describe('history trimming', () => {
  it('groups a tool-call answer and its results with the user message before them', () => {
    expect(splitTurns(history).map((t) => t.length)).toEqual([2, 4, 2]);
  });

  it('keeps everything when the history fits exactly', async () => {
    const all = await cost(history);
    const r = await trimHistory(history, all, info, counter);
    expect(r.droppedTurns).toBe(0);
    expect(r.kept).toEqual(history);
  });

  it('one token over the budget drops exactly the oldest turn', async () => {
    const all = await cost(history);
    const r = await trimHistory(history, all - 1, info, counter);
    expect(r.droppedTurns).toBe(1);
    expect(r.kept).toEqual(history.slice(2));
    // The cut is exact: what is kept is what the counter says fits.
    expect(await cost(r.kept)).toBeLessThanOrEqual(all - 1);
  });

  it('never keeps half of a tool-call turn', async () => {
    const withoutFirst = await cost(history.slice(2));
    const r = await trimHistory(history, withoutFirst - 1, info, counter);
    expect(r.droppedTurns).toBe(2);
    expect(r.kept).toEqual(history.slice(6));
    expect(r.kept.some((m) => m.role === 'tool')).toBe(false);
  });

  it('drops everything when nothing fits', async () => {
    const r = await trimHistory(history, 0, info, counter);
    expect(r.kept).toEqual([]);
    expect(r.droppedTurns).toBe(3);
  });
});

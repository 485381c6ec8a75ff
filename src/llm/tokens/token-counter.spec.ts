import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenCounter, type CountableMessage, type CountableTool } from './token-counter.js';
import { ESTIMATE_MAX_UNDER_COUNT, estimateTokens } from './token-estimate.js';

interface CalibrationSample {
  id: string;
  kind: string;
  text: string;
}

// The calibration set the estimate was fitted on (bench/tokenizer/compare.mjs).
const SAMPLES = (
  JSON.parse(readFileSync(join(__dirname, '../../../bench/tokenizer/samples.json'), 'utf8')) as {
    samples: CalibrationSample[];
  }
).samples;
const MARGIN_KINDS = new Set(['opaque', 'adversarial']);

// OpenAI cookbook "How to count tokens with tiktoken": 129 prompt tokens on cl100k models,
// 124 on o200k models, as reported by the API.
const COOKBOOK_MESSAGES: CountableMessage[] = [
  {
    role: 'system',
    content:
      'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
  },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  {
    role: 'system',
    name: 'example_assistant',
    content: 'Things working well together will increase revenue.',
  },
  {
    role: 'system',
    name: 'example_user',
    content:
      "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
  },
  {
    role: 'system',
    name: 'example_assistant',
    content: "Let's talk later when we're less busy about how to do better.",
  },
  {
    role: 'user',
    content: "This late pivot means we don't have time to boil the ocean for the client deliverable.",
  },
];

const WEATHER_TOOL: CountableTool = {
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('TokenCounter', () => {
  const counter = new TokenCounter();

  beforeAll(async () => {
    await counter.preload();
  });

  describe('countText', () => {
    it.each([
      ['hello world', 'o200k', 2],
      ['hello world', 'cl100k', 2],
      ['tiktoken is great!', 'o200k', 6],
      ['tiktoken is great!', 'cl100k', 6],
      ['', 'o200k', 0],
      ['', 'estimate', 0],
    ] as const)('counts %j under %s as %i', async (text, encoding, expected) => {
      await expect(counter.countText(text, encoding)).resolves.toBe(expected);
    });

    it('counts special-token text as plain text instead of throwing', async () => {
      const tokens = await counter.countText('<|endoftext|><|im_start|>', 'o200k');
      expect(tokens).toBeGreaterThan(2);
    });

    it('shares one load between concurrent first calls', async () => {
      const fresh = new TokenCounter();
      const counts = await Promise.all([
        fresh.countText('hello world', 'o200k'),
        fresh.countText('hello world', 'o200k'),
      ]);
      expect(counts).toEqual([2, 2]);
    });
  });

  describe('countChat', () => {
    it("matches the API's prompt tokens for OpenAI's cookbook example", async () => {
      await expect(counter.countChat(COOKBOOK_MESSAGES, 'openai/gpt-3.5-turbo-0125')).resolves.toBe(129);
      await expect(counter.countChat(COOKBOOK_MESSAGES, 'openai/gpt-4o-2024-08-06')).resolves.toBe(124);
      await expect(counter.countChat(COOKBOOK_MESSAGES, 'gpt-4o-mini')).resolves.toBe(124);
      await expect(counter.countChat(COOKBOOK_MESSAGES, { tokenizer: 'o200k' })).resolves.toBe(124);
    });

    it('adds 3 tokens per message, 1 per name and 3 for reply priming', async () => {
      const text = async (s: string): Promise<number> => counter.countText(s, 'o200k');
      await expect(counter.countChat([], 'openai/gpt-4o')).resolves.toBe(3);
      const one = await counter.countChat([{ role: 'user', content: 'hello world' }], 'openai/gpt-4o');
      expect(one).toBe(3 + (await text('user')) + 2 + 3);
      const named = await counter.countChat(
        [{ role: 'user', name: 'alice', content: 'hello world' }],
        'openai/gpt-4o',
      );
      expect(named).toBe(one + (await text('alice')) + 1);
    });

    it('counts text parts, images, tool calls and tool results', async () => {
      const text = async (s: string): Promise<number> => counter.countText(s, 'o200k');
      const messages: CountableMessage[] = [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/b.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_abc123', content: '{"temperature":21}' },
      ];
      const expected =
        3 +
        (3 + (await text('user')) + (await text('What is in these images?')) + 85 + 765) +
        (3 + (await text('assistant')) + 3 + (await text('get_weather')) + (await text('{"city":"Paris"}'))) +
        (3 + (await text('tool')) + (await text('call_abc123')) + (await text('{"temperature":21}')));
      await expect(counter.countChat(messages, 'openai/gpt-4o')).resolves.toBe(expected);
    });

    it('estimates models without a tokenizer, above the exact o200k count for ordinary text', async () => {
      const exact = await counter.countChat(COOKBOOK_MESSAGES, 'openai/gpt-4o');
      const estimated = await counter.countChat(COOKBOOK_MESSAGES, 'anthropic/claude-sonnet-4-5-20250929');
      expect(estimated).toBeGreaterThanOrEqual(exact);
      expect(estimated).toBeLessThanOrEqual(exact * 1.6);
      await expect(counter.countChat(COOKBOOK_MESSAGES, 'ollama/llama3.2:latest')).resolves.toBe(estimated);
      const image: CountableMessage = {
        role: 'user',
        content: [{ type: 'image_url', image_url: { url: 'data:,' } }],
      };
      await expect(counter.countChat([image], 'anthropic/claude-haiku-4-5')).resolves.toBe(
        3 + estimateTokens('user') + 1600 + 3,
      );
    });
  });

  describe('tokenizerFor', () => {
    it.each([
      ['openai/gpt-4o', 'o200k'],
      ['openai/gpt-3.5-turbo-0125', 'cl100k'],
      ['openai/text-embedding-3-small', 'cl100k'],
      ['openai/gpt-5.5', 'o200k'],
      ['anthropic/claude-sonnet-4-5-20250929', 'estimate'],
      ['ollama/llama3.2:latest', 'estimate'],
      ['gpt-4.1-mini', 'o200k'],
      ['llama3.1', 'estimate'],
      ['never-heard-of-it', 'estimate'],
    ] as const)('counts %s with %s', (model, kind) => {
      expect(counter.tokenizerFor(model)).toBe(kind);
    });
  });

  describe('countTools', () => {
    it('is 0 without tools', async () => {
      await expect(counter.countTools([])).resolves.toBe(0);
    });

    it('counts the BPE tokens of each serialized definition plus the block framing', async () => {
      const json = await counter.countText(JSON.stringify(WEATHER_TOOL.function), 'o200k');
      await expect(counter.countTools([WEATHER_TOOL])).resolves.toBe(9 + json);
      await expect(counter.countTools([WEATHER_TOOL, WEATHER_TOOL], 'openai/gpt-4o')).resolves.toBe(
        9 + 2 * json,
      );
      await expect(counter.countTools([WEATHER_TOOL], 'anthropic/claude-haiku-4-5')).resolves.toBe(
        9 + estimateTokens(JSON.stringify(WEATHER_TOOL.function)),
      );
    });
  });

  describe('estimate calibration', () => {
    it('has the 20 calibration samples', () => {
      expect(SAMPLES).toHaveLength(20);
    });

    it.each(SAMPLES.map((s) => [s.id, s] as const))(
      'does not under-count %s beyond the stated margin',
      async (_id, sample) => {
        const exact = await counter.countText(sample.text, 'o200k');
        const estimate = await counter.countText(sample.text, 'estimate');
        if (MARGIN_KINDS.has(sample.kind)) {
          expect(estimate).toBeGreaterThanOrEqual(Math.floor(exact * (1 - ESTIMATE_MAX_UNDER_COUNT)));
        } else {
          // Ordinary text is never under-counted, and not wildly over-counted either.
          expect(estimate).toBeGreaterThanOrEqual(exact);
          expect(estimate).toBeLessThanOrEqual(Math.ceil(exact * 1.6));
        }
      },
    );

    it('beats characters / 4 where that rule under-counts most', async () => {
      for (const id of ['chinese', 'emoji', 'logs']) {
        const sample = SAMPLES.find((s) => s.id === id);
        if (sample === undefined) throw new Error(`missing sample ${id}`);
        const exact = await counter.countText(sample.text, 'o200k');
        expect(Math.ceil(sample.text.length / 4)).toBeLessThan(exact * 0.6);
        expect(estimateTokens(sample.text)).toBeGreaterThanOrEqual(exact);
      }
    });
  });
});

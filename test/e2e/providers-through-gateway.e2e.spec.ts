import OpenAI from 'openai';
import { AnthropicFake, LiteLlmFake, OllamaFake } from '../support/fakes/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/** Every provider answers the OpenAI SDK in the same shape, streamed and not. */
describe('Anthropic, Ollama and LiteLLM through the OpenAI-compatible API', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  const anthropic = new AnthropicFake({ apiKey: 'sk-ant-test' });
  const ollama = new OllamaFake();
  const litellm = new LiteLlmFake({ masterKey: 'sk-litellm-test', models: ['team-model'] });
  let gw: RunningApp;
  let client: OpenAI;

  beforeAll(async () => {
    db = await createFreshDatabase();
    await Promise.all([anthropic.start(), ollama.start(), litellm.start()]);
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        ANTHROPIC_API_KEY: 'sk-ant-test',
        ANTHROPIC_BASE_URL: anthropic.url,
        OLLAMA_BASE_URL: ollama.url,
        LITELLM_BASE_URL: litellm.url,
        LITELLM_API_KEY: 'sk-litellm-test',
      }),
    );
    client = new OpenAI({ apiKey: 'x', baseURL: `${gw.baseUrl}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([anthropic.stop(), ollama.stop(), litellm.stop()]);
    await db?.drop();
  });

  const cases: Array<
    [string, () => { reset: () => void; setReply: (r: { text: string; chunks: string[] }) => void }]
  > = [
    ['anthropic/claude-sonnet-4-5', () => anthropic],
    ['ollama/llama3.2', () => ollama],
    ['litellm/team-model', () => litellm],
  ];

  it.each(cases)('%s answers a completion', async (model, fake) => {
    fake().reset();
    fake().setReply({ text: 'Bonjour le monde', chunks: ['Bonjour', ' le', ' monde'] });
    const res = await client.chat.completions
      .create({
        model,
        messages: [
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: 'Hello world' },
        ],
      })
      .withResponse();
    expect(res.data.choices[0].message.content).toBe('Bonjour le monde');
    expect(res.data.usage?.total_tokens).toBeGreaterThan(0);
    expect(res.response.headers.get('x-gateway-provider')).toBe(model.split('/')[0]);
  });

  it.each(cases)('%s streams deltas with usage', async (model, fake) => {
    fake().reset();
    fake().setReply({ text: 'Bonjour le monde', chunks: ['Bonjour', ' le', ' monde'] });
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hello world' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Bonjour le monde');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('sends Anthropic the system prompt top-level and always a max_tokens', async () => {
    anthropic.reset();
    await client.chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    const sent = anthropic.requestsTo('/v1/messages')[0].body;
    const warned = await client.chat.completions
      .create({ model: 'anthropic/claude-sonnet-4-5', seed: 7, messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(warned.response.headers.get('x-gateway-warnings')).toMatch(/seed/);
    expect(sent).toMatchObject({ system: 'Be brief.', messages: [{ role: 'user' }] });
    expect(typeof sent?.max_tokens).toBe('number');
  });

  it('maps Anthropic 529 overloaded to 503', async () => {
    anthropic.enqueueFault({ status: 529 });
    await expect(
      client.chat.completions.create({
        model: 'anthropic/claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).rejects.toMatchObject({ status: 503, code: 'upstream_unavailable' });
  });

  it('refuses embeddings on Anthropic with 400 unsupported, and embeds on Ollama', async () => {
    await expect(
      client.embeddings.create({ model: 'anthropic/claude-sonnet-4-5', input: 'x' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'unsupported',
    });
    const out = await client.embeddings.create({ model: 'ollama/nomic-embed-text', input: ['a', 'b'] });
    expect(out.data).toHaveLength(2);
  });

  it('refuses an Ollama model the server does not have', async () => {
    await expect(
      client.chat.completions.create({
        model: 'ollama/not-pulled',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });
});

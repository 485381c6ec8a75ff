import { pino } from 'pino';
import type { ChatResult, ChatStreamPart, UpstreamModel } from './core/chat.types.js';
import { LlmProvider } from './core/llm-provider.port.js';
import { ModelCatalog } from './model-catalog.js';
import type { ProviderRegistry } from './provider-registry.js';

class ListingProvider extends LlmProvider {
  readonly id = 'ollama';
  calls = 0;
  next: () => Promise<UpstreamModel[]> = () => Promise.resolve([{ id: 'custom:latest' }]);

  generate(): Promise<ChatResult> {
    throw new Error('not used');
  }
  stream(): AsyncIterable<ChatStreamPart> {
    throw new Error('not used');
  }
  listModels(): Promise<UpstreamModel[]> {
    this.calls++;
    return this.next();
  }
}

describe('ModelCatalog discovery', () => {
  const provider = new ListingProvider();
  const registry = {
    get: (id: string) => (id === provider.id ? provider : undefined),
    all: () => [provider],
  };
  const catalog = new ModelCatalog(registry as unknown as ProviderRegistry, pino({ level: 'silent' }));

  afterEach(() => jest.useRealTimers());

  it('shares one listing call, keeps serving a stale list while a refresh fails, and 404s the unknown', async () => {
    const [a, b] = await Promise.all([catalog.resolve('ollama/custom'), catalog.resolve('ollama/custom')]);
    expect([a.model, b.model]).toEqual(['custom', 'custom']);
    expect(provider.calls).toBe(1);

    jest.useFakeTimers({ now: Date.now() + 6 * 60_000, doNotFake: ['nextTick', 'setImmediate'] });
    provider.next = () => Promise.reject(new Error('connection refused'));
    const during = await Promise.all([catalog.resolve('ollama/custom'), catalog.resolve('ollama/custom')]);
    expect(during.map((r) => r.model)).toEqual(['custom', 'custom']);
    expect(provider.calls).toBe(2);

    await expect(catalog.resolve('ollama/not-pulled')).rejects.toMatchObject({ code: 'model_not_found' });
    await expect(catalog.resolve('nobody/model')).rejects.toMatchObject({ code: 'model_not_found' });
  });
});

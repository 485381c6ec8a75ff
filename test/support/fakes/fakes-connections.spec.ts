import { Agent } from 'node:http';
import { OllamaFake, OpenAiFake } from './index.js';
import { post, rawRequest, user, waitFor } from './wire-client.js';
import { jsonOf, type OpenAiCompletionShape } from './wire-shapes.js';

const auth = { authorization: 'Bearer sk-test' };
const chatBody = { model: 'gpt-4o-mini', messages: [user('hello wörld')] };

describe('fake connections', () => {
  it('counts accepted sockets, so keep-alive reuse is visible', async () => {
    const fake = await OpenAiFake.start();
    const pooled = new Agent({ keepAlive: true, maxSockets: 1 });
    const fresh = new Agent({ keepAlive: false });
    try {
      for (let i = 0; i < 3; i++) await rawRequest(`${fake.url}/v1/models`, { headers: auth, agent: pooled });
      expect(fake.socketsOpened).toBe(1);
      fake.reset();
      for (let i = 0; i < 3; i++) await rawRequest(`${fake.url}/v1/models`, { headers: auth, agent: fresh });
      expect(fake.socketsOpened).toBe(3);
      expect(fake.requests).toHaveLength(3);
    } finally {
      pooled.destroy();
      fresh.destroy();
      await fake.stop();
    }
  });

  it('stops promptly with hung and delayed requests in flight, and restarts on the same URL', async () => {
    const fake = await OllamaFake.start();
    fake.enqueueFault({ hangAfterHeaders: true, path: '/api/chat' });
    fake.enqueueFault({ delayBeforeHeadersMs: 60_000, path: '/api/tags' });
    const hung = rawRequest(`${fake.url}/api/chat`, { body: { model: 'm', messages: [user('x')] } });
    const delayed = rawRequest(`${fake.url}/api/tags`);
    await waitFor(() => fake.activeRequests === 2);
    const url = fake.url;
    const started = Date.now();
    await fake.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await hung).error).toBeDefined();
    expect((await delayed).error).toBeDefined();
    await fake.start();
    try {
      expect(fake.url).toBe(url);
      expect((await fetch(`${url}/api/version`)).status).toBe(200);
    } finally {
      await fake.stop();
    }
  });

  it('reset() clears requests, faults, replies and counters', async () => {
    const fake = await OpenAiFake.start();
    try {
      fake.enqueueFault({ status: 500 });
      fake.setReply({ text: 'scripted' });
      await (await fetch(`${fake.url}/v1/models`, { headers: auth })).text();
      fake.enqueueFault({ status: 500 });
      fake.reset();
      expect([fake.requests.length, fake.socketsOpened]).toEqual([0, 0]);
      const res = await post(`${fake.url}/v1/chat/completions`, chatBody, auth);
      expect((await jsonOf<OpenAiCompletionShape>(res)).choices[0]?.message.content).toBe(
        'Echo: hello wörld',
      );
    } finally {
      await fake.stop();
    }
  });
});

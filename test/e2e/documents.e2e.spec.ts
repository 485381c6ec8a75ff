import { documentsApi, type DocumentView } from '../support/documents-api.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

describe('documents (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let api: ReturnType<typeof documentsApi>;

  beforeAll(async () => {
    db = await createFreshDatabase();
    gw = await startApp(testConfig({ DATABASE_URL: db.url }));
    api = documentsApi(gw);
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('uploads a text, processes it and finds it', async () => {
    const up = await api.call<{ id: string; status: string }>(
      'POST',
      '/api/collections/smoke/documents',
      undefined,
      {
        text: 'Rotating keys: issue a new key, deploy it, then revoke the old one.\n\nBudgets reset at midnight UTC.',
        metadata: { lang: 'en' },
        source_name: 'ops.txt',
      },
    );
    expect(up.status).toBe(202);
    expect(up.json.status).toBe('pending');
    const doc: DocumentView = await api.settled(up.json.id);
    expect(doc).toMatchObject({ status: 'processed', collection: 'smoke', mime: 'text/plain' });
    expect(doc.chunks).toBeGreaterThan(0);
    const s = await api.search('smoke', { query: 'how do I rotate keys', top_k: 3 });
    expect(s.status).toBe(200);
    expect(s.json.results[0]).toMatchObject({
      document_id: up.json.id,
      source_name: 'ops.txt',
      metadata: { lang: 'en' },
    });
  });
});

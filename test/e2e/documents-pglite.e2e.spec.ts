import { DataSource } from 'typeorm';
import { ChunkStore } from '../../src/vector/chunk-store.js';
import { documentsApi } from '../support/documents-api.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';

/** The same pipeline on the embedded database (PGlite + pgvector), as `npm start` runs it. */
describe('documents on embedded PGlite', () => {
  const dataDir = tempDir('slrg-docs-pglite-');
  let gw: RunningApp | undefined;

  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('uploads, processes, searches with a filter, and resumes an unfinished document after a restart', async () => {
    gw = await startApp(testConfig({ DATA_DIR: dataDir }));
    let api = documentsApi(gw);
    const up = await api.call<{ id: string; status: string }>(
      'POST',
      '/api/collections/local/documents',
      undefined,
      {
        documents: [
          { text: 'PGlite runs PostgreSQL compiled to WebAssembly.', metadata: { lang: 'en' } },
          { text: 'PGlite fait tourner PostgreSQL en WebAssembly.', metadata: { lang: 'fr' } },
        ],
      },
    );
    expect(up.status).toBe(202);
    const ids = (up.json as unknown as { documents: Array<{ id: string }> }).documents.map((d) => d.id);
    const docs = await Promise.all(ids.map((id) => api.settled(id)));
    expect(docs.map((d) => d.status)).toEqual(['processed', 'processed']);

    const s = await api.search('local', { query: 'PostgreSQL compiled to WebAssembly', top_k: 5 });
    expect(s.status).toBe(200);
    expect(s.json.results[0]?.document_id).toBe(ids[0]);
    const fr = await api.search('local', { query: 'PostgreSQL', filter: { lang: 'fr' } });
    expect(fr.json.results.map((r) => r.document_id)).toEqual([ids[1]]);

    // ef_search, iterative scans and JIT settings are accepted by the embedded engine too.
    const store = gw.app.get(ChunkStore, { strict: false });
    expect(await store.supportsIterativeScans()).toBe(true);

    // A document left `processing` by a crash is picked up by the next boot.
    const ds = gw.app.get(DataSource);
    await ds.query("UPDATE documents SET status = 'processing' WHERE id = $1", [ids[1]]);
    await ds.query(
      "INSERT INTO document_blobs (document_id, content) VALUES ($1, convert_to('Reprise après redémarrage.', 'UTF8'))",
      [ids[1]],
    );
    await gw.close();
    gw = await startApp(testConfig({ DATA_DIR: dataDir }));
    api = documentsApi(gw);
    const resumed = await api.settled(ids[1] ?? '');
    expect(resumed.status).toBe('processed');
    const after = await api.search('local', { query: 'reprise après redémarrage', top_k: 1 });
    expect(after.json.results[0]?.text).toBe('Reprise après redémarrage.');
  }, 120_000);
});

import { OpenAiFake } from '../support/fakes/index.js';
import { documentsApi, type DocumentView } from '../support/documents-api.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

const EMBEDDINGS = '/v1/embeddings';
/** text-embedding-3-small's size: its chunks live in their own table. */
const TABLE = 'document_chunks_d1536';

interface Accepted {
  id: string;
  status: string;
  error?: { code: string };
  documents?: Array<{ id?: string; status?: string; error?: { code: string } }>;
}

/** Polls until `condition` holds. */
async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function paragraphs(topic: string, n: number): string {
  return Array.from(
    { length: n },
    (_, i) => `Paragraph ${i} about ${topic}: ${topic} matters for reason number ${i}.`,
  ).join('\n\n');
}

/**
 * The ingestion queue against a remote embedder (the OpenAI fake): statuses while an embedding call
 * hangs, a full queue, shutdown mid-document, resume on the next boot without duplicate chunks,
 * embedder failures, retries and coalesced calls.
 */
describe('document ingestion queue (real Postgres, remote embedder)', () => {
  let fake: OpenAiFake;
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  const running: RunningApp[] = [];

  function env(extra: Record<string, string> = {}) {
    return testConfig({
      DATABASE_URL: db.url,
      OPENAI_API_KEY: 'sk-test-documents',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      EMBEDDING_MODEL: 'openai/text-embedding-3-small',
      CHUNK_TOKENS: '40',
      CHUNK_OVERLAP_TOKENS: '0',
      ...extra,
    });
  }

  async function boot(extra: Record<string, string> = {}) {
    const gw = await startApp(env(extra));
    running.push(gw);
    return { gw, api: documentsApi(gw) };
  }

  async function chunkStats(documentId: string): Promise<{ rows: number; distinct: number }> {
    const rows = await queryOnce<{ rows: string; distinct: string }>(
      db.url,
      `SELECT count(*)::text AS rows, count(DISTINCT position)::text AS distinct FROM ${TABLE} WHERE document_id = $1`,
      [documentId],
    );
    return { rows: Number(rows[0]?.rows), distinct: Number(rows[0]?.distinct) };
  }

  beforeAll(async () => {
    fake = await OpenAiFake.start();
    db = await createFreshDatabase();
  });

  afterEach(async () => {
    fake.setDefaultBehaviour(undefined);
    for (const gw of running.splice(0)) await gw.close();
  });

  afterAll(async () => {
    await fake?.stop();
    await db?.drop();
  });

  it('statuses, a full queue, shutdown mid-document, and resume on the next boot without duplicates', async () => {
    const first = await boot({ INGEST_CONCURRENCY: '1', INGEST_QUEUE_MAX: '2', EMBED_BATCH_SIZE: '4' });
    // The first upload creates the collection (its dimension from one embedding) and is processed.
    const warm = await first.api.call<Accepted>('POST', '/api/collections/kb/documents', undefined, {
      text: paragraphs('warm-up', 3),
    });
    expect(warm.status).toBe(202);
    const warmDoc = await first.api.settled(warm.json.id);
    expect(warmDoc.status).toBe('processed');
    const collection = await queryOnce<{ embedding_model: string; dimension: number }>(
      db.url,
      "SELECT embedding_model, dimension FROM collections WHERE name = 'kb'",
    );
    expect(collection).toEqual([{ embedding_model: 'openai/text-embedding-3-small', dimension: 1536 }]);
    expect((await chunkStats(warm.json.id)).rows).toBe(warmDoc.chunks);

    // Embedding calls now hang: the next document stays `processing`, two more wait `pending`.
    fake.setDefaultBehaviour({ path: EMBEDDINGS, delayBeforeHeadersMs: 60_000 });
    const ids: string[] = [];
    for (const topic of ['alpha', 'beta', 'gamma']) {
      const r = await first.api.call<Accepted>('POST', '/api/collections/kb/documents', undefined, {
        text: paragraphs(topic, 6),
      });
      expect(r.json).toEqual({ id: expect.any(String), status: 'pending' });
      ids.push(r.json.id);
    }
    const statusOf = async (id: string) =>
      (await first.api.call<DocumentView>('GET', `/api/documents/${id}`)).json.status;
    await until(async () => (await statusOf(ids[0] ?? '')) === 'processing');
    expect(await statusOf(ids[1] ?? '')).toBe('pending');
    expect(await statusOf(ids[2] ?? '')).toBe('pending');

    // Two waiting is the bound: the next upload is refused with Retry-After, nothing stored.
    const refused = await first.api.call<Accepted>('POST', '/api/collections/kb/documents', undefined, {
      text: paragraphs('delta', 2),
    });
    expect(refused.status).toBe(503);
    expect(refused.json.error?.code).toBe('service_unavailable');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const batch = await first.api.call<Accepted>('POST', '/api/collections/kb/documents', undefined, {
      documents: [{ text: paragraphs('beta', 6) }, { text: paragraphs('epsilon', 2) }],
    });
    // A duplicate needs no place in the queue; a new document does.
    expect(batch.json.documents?.map((d) => d.error?.code ?? d.status)).toEqual([
      'pending',
      'service_unavailable',
    ]);
    expect(batch.json.documents?.[0]?.id).toBe(ids[1]);
    const stored = await queryOnce(db.url, 'SELECT 1 FROM documents');
    expect(stored).toHaveLength(4);

    // Shutdown: the hanging document goes back to `pending`; every upload is still stored.
    await first.gw.close();
    running.splice(0);
    const left = await queryOnce<{ id: string; status: string }>(
      db.url,
      'SELECT d.id, d.status FROM documents d JOIN document_blobs b ON b.document_id = d.id ORDER BY d.created_at',
    );
    expect(left.map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);
    expect(left.map((r) => r.id)).toEqual(ids);

    // A crash mid-write is simulated too: one document marked `processing` with a stray chunk.
    await queryOnce(db.url, "UPDATE documents SET status = 'processing' WHERE id = $1", [ids[1]]);
    await queryOnce(
      db.url,
      `INSERT INTO ${TABLE} (document_id, collection_id, tenant, position, text, token_count, embedding_model, embedding)
       SELECT id, collection_id, tenant, 0, 'stray', 1, embedding_model, array_fill(0.01, ARRAY[1536])::vector
         FROM documents WHERE id = $1`,
      [ids[1]],
    );

    fake.setDefaultBehaviour(undefined);
    const second = await boot();
    const docs = await Promise.all(ids.map((id) => second.api.settled(id)));
    expect(docs.map((d) => d.status)).toEqual(['processed', 'processed', 'processed']);
    for (const d of docs) {
      expect(d.chunks).toBeGreaterThan(1);
      expect(await chunkStats(d.id)).toEqual({ rows: d.chunks, distinct: d.chunks });
    }
    expect(await queryOnce(db.url, "SELECT 1 FROM document_chunks_d1536 WHERE text = 'stray'")).toEqual([]);
    expect(await queryOnce(db.url, 'SELECT 1 FROM document_blobs')).toEqual([]);
    const s = await second.api.search('kb', { query: 'gamma matters for reason number 3', top_k: 1 });
    expect(s.json.results[0]?.document_id).toBe(ids[2]);
  });

  it('an embedder failure fails the document with the reason; the same upload again retries it', async () => {
    const { api } = await boot();
    await api.settled(
      (
        await api.call<Accepted>('POST', '/api/collections/fails/documents', undefined, {
          text: 'Create it.',
        })
      ).json.id,
    );
    fake.setDefaultBehaviour({ path: EMBEDDINGS, status: 400 });
    const text = paragraphs('failure', 2);
    const up = await api.call<Accepted>('POST', '/api/collections/fails/documents', undefined, { text });
    const failed = await api.settled(up.json.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual(expect.any(String));
    expect(failed.chunks).toBe(0);

    fake.setDefaultBehaviour(undefined);
    const again = await api.call<Accepted>('POST', '/api/collections/fails/documents', undefined, { text });
    expect(again.json).toEqual({ id: up.json.id, status: 'pending' });
    const retried = await api.settled(up.json.id);
    expect(retried.status).toBe('processed');
    expect(retried.error).toBeUndefined();
  });

  it('retries a retryable embedder failure', async () => {
    const { api } = await boot();
    await api.settled(
      (
        await api.call<Accepted>('POST', '/api/collections/retries/documents', undefined, {
          text: 'Create it.',
        })
      ).json.id,
    );
    fake.enqueueFault({ path: EMBEDDINGS, status: 503 });
    const up = await api.call<Accepted>('POST', '/api/collections/retries/documents', undefined, {
      text: paragraphs('retry', 2),
    });
    expect((await api.settled(up.json.id)).status).toBe('processed');
  });

  it('larger dimensions: a halfvec index up to 4,000, exact search beyond; a collection keeps its model', async () => {
    const large = await boot({ EMBEDDING_MODEL: 'openai/text-embedding-3-large' });
    const doc = await large.api.settled(
      (
        await large.api.call<Accepted>('POST', '/api/collections/wide/documents', undefined, {
          text: paragraphs('halfvec', 3),
        })
      ).json.id,
    );
    expect(doc.status).toBe('processed');
    const wide = await large.api.search('wide', { query: 'halfvec matters for reason number 2', top_k: 1 });
    expect(wide.json.results[0]?.text).toContain('reason number 2');
    await large.gw.close();
    running.splice(0);

    const huge = await boot({ EMBEDDING_MODEL: 'local/hash-4096' });
    const hugeDoc = await huge.api.settled(
      (
        await huge.api.call<Accepted>('POST', '/api/collections/huge/documents', undefined, {
          text: paragraphs('exact', 3),
        })
      ).json.id,
    );
    expect(hugeDoc.status).toBe('processed');
    const exact = await huge.api.search('huge', { query: 'exact matters for reason number 1', top_k: 1 });
    expect(exact.json.results[0]?.text).toContain('reason number 1');
    // The existing collection still embeds with its own model, whatever EMBEDDING_MODEL says now.
    const later = await huge.api.settled(
      (
        await huge.api.call<Accepted>('POST', '/api/collections/wide/documents', undefined, {
          text: paragraphs('later', 2),
        })
      ).json.id,
    );
    expect(later.status).toBe('processed');
    const models = await queryOnce<{ embedding_model: string; dimension: number }>(
      db.url,
      'SELECT embedding_model, dimension FROM documents WHERE id = $1',
      [later.id],
    );
    expect(models).toEqual([{ embedding_model: 'openai/text-embedding-3-large', dimension: 3072 }]);

    const indexes = await queryOnce<{ tablename: string; indexdef: string }>(
      db.url,
      "SELECT tablename, indexdef FROM pg_indexes WHERE indexname LIKE 'document_chunks_d%_hnsw' ORDER BY tablename",
    );
    const byTable = Object.fromEntries(indexes.map((i) => [i.tablename, i.indexdef]));
    expect(byTable.document_chunks_d3072).toContain('halfvec_cosine_ops');
    expect(byTable.document_chunks_d3072).toContain("m='24'");
    expect(byTable.document_chunks_d4096).toBeUndefined();
  });

  it('coalesces the chunks of several small documents into shared embedding calls', async () => {
    const { api } = await boot({ INGEST_CONCURRENCY: '8', EMBED_CONCURRENCY: '1', EMBED_BATCH_SIZE: '64' });
    await api.settled(
      (
        await api.call<Accepted>('POST', '/api/collections/small/documents', undefined, {
          text: 'Create it.',
        })
      ).json.id,
    );
    // Each call takes a while, so the documents that arrive meanwhile share the next one.
    fake.setDefaultBehaviour({ path: EMBEDDINGS, delayBeforeHeadersMs: 300 });
    const before = fake.requestsTo(EMBEDDINGS).length;
    const r = await api.call<Accepted>('POST', '/api/collections/small/documents', undefined, {
      documents: Array.from({ length: 8 }, (_, i) => ({ text: `Small document number ${i} about fruit.` })),
    });
    const docs = await Promise.all((r.json.documents ?? []).map((d) => api.settled(d.id ?? '')));
    expect(docs.every((d) => d.status === 'processed' && d.chunks === 1)).toBe(true);
    const calls = fake.requestsTo(EMBEDDINGS).length - before;
    expect(calls).toBeLessThanOrEqual(3);
  });
});

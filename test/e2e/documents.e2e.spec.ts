import { randomBytes } from 'node:crypto';
import { ResponseCacheService } from '../../src/cache/response-cache.service.js';
import { ADMIN_PRINCIPAL, type Principal } from '../../src/auth/principal.js';
import { ContextCacheRefs } from '../../src/llm/context/context-cache-refs.js';
import { ContextRetriever } from '../../src/llm/context/context-retriever.port.js';
import { documentsApi, type DocumentView } from '../support/documents-api.js';
import { buildPdf } from '../support/pdf-fixture.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const MAX_BYTES = 64 * 1024;

interface Accepted {
  id: string;
  status: string;
}

interface BatchItem {
  id?: string;
  status?: string;
  index?: number;
  error?: { code: string; type: string; message: string; param: string | null };
}

interface ErrorBody {
  error: { code: string; type: string; message: string; param: string | null };
}

const GUIDE_MD = [
  '# Gateway guide',
  '',
  'An overview of the gateway.',
  '',
  '## Install',
  '',
  'Run npm ci, then npm start. The first start initialises the embedded database.',
  '',
  '## Rotate keys',
  '',
  'Issue a new key, deploy it to every client, then revoke the old key.',
].join('\n');

function file(content: string | Uint8Array, type: string): Blob {
  return new Blob([typeof content === 'string' ? content : Buffer.from(content)], { type });
}

describe('documents (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let api: ReturnType<typeof documentsApi>;
  let keyA: string;
  let keyB: string;
  let keyAId: string;

  async function chunkRows(documentId: string): Promise<number> {
    const rows = await queryOnce<{ n: string }>(
      db.url,
      'SELECT count(*)::text AS n FROM document_chunks_d384 WHERE document_id = $1',
      [documentId],
    );
    return Number(rows[0]?.n);
  }

  async function upload(collection: string, body: unknown, key = keyA) {
    return api.call<Accepted & BatchItem & ErrorBody>(
      'POST',
      `/api/collections/${collection}/documents`,
      key,
      body,
    );
  }

  async function uploadProcessed(collection: string, body: unknown, key = keyA): Promise<DocumentView> {
    const r = await upload(collection, body, key);
    expect(r.status).toBe(202);
    return api.settled(r.json.id, key);
  }

  beforeAll(async () => {
    db = await createFreshDatabase();
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        DOCUMENT_MAX_BYTES: String(MAX_BYTES),
        CHUNK_TOKENS: '40',
        CHUNK_OVERLAP_TOKENS: '5',
        USAGE_FLUSH_INTERVAL_MS: '100',
      }),
    );
    api = documentsApi(gw);
    const a = await api.call<{ id: string; key: string }>('POST', '/api/keys', ADMIN_KEY, {
      name: 'tenant-a',
    });
    const b = await api.call<{ id: string; key: string }>('POST', '/api/keys', ADMIN_KEY, {
      name: 'tenant-b',
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    keyA = a.json.key;
    keyAId = a.json.id;
    keyB = b.json.key;
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  describe('formats, end to end', () => {
    it('plain text (JSON): pending → processed, chunks stored with their model, found by search', async () => {
      const text = Array.from(
        { length: 12 },
        (_, i) => `Sentence number ${i} talks about topic ${i % 3 === 0 ? 'billing invoices' : 'weather'}.`,
      ).join(' ');
      const up = await upload('formats', { text, metadata: { lang: 'en' }, source_name: 'notes.txt' });
      expect(up.status).toBe(202);
      expect(up.json).toEqual({ id: expect.any(String), status: 'pending' });
      const doc = await api.settled(up.json.id, keyA);
      expect(doc).toMatchObject({
        status: 'processed',
        collection: 'formats',
        mime: 'text/plain',
        source_name: 'notes.txt',
        metadata: { lang: 'en' },
      });
      expect(doc.error).toBeUndefined();
      expect(doc.chunks).toBeGreaterThan(1);
      expect(await chunkRows(doc.id)).toBe(doc.chunks);
      const stored = await queryOnce<{ embedding_model: string; positions: number[] }>(
        db.url,
        `SELECT min(embedding_model) AS embedding_model, array_agg(position ORDER BY position) AS positions
           FROM document_chunks_d384 WHERE document_id = $1`,
        [doc.id],
      );
      expect(stored[0]?.embedding_model).toBe('local/hash-384');
      expect(stored[0]?.positions).toEqual(Array.from({ length: doc.chunks }, (_, i) => i));
      // The stored upload is dropped once processed.
      expect(
        await queryOnce(db.url, 'SELECT 1 FROM document_blobs WHERE document_id = $1', [doc.id]),
      ).toEqual([]);
      const s = await api.search('formats', { query: 'billing invoices', top_k: 2 }, keyA);
      expect(s.status).toBe(200);
      expect(s.json.results[0]?.text).toContain('billing invoices');
    });

    it('markdown (JSON with mime): sections keep their heading path', async () => {
      const doc = await uploadProcessed('formats', {
        text: GUIDE_MD,
        mime: 'text/markdown',
        source_name: 'guide.md',
      });
      expect(doc).toMatchObject({ status: 'processed', mime: 'text/markdown' });
      const s = await api.search('formats', { query: 'revoke the old key', top_k: 1 }, keyA);
      expect(s.json.results[0]).toMatchObject({
        document_id: doc.id,
        heading_path: ['Gateway guide', 'Rotate keys'],
        source_name: 'guide.md',
      });
    });

    it('HTML (multipart file)', async () => {
      const form = new FormData();
      const html =
        '<html><head><title>Billing</title><script>var x = 1;</script></head>' +
        '<body><h1>Billing</h1><p>Invoices are emailed on the first day of each month.</p></body></html>';
      form.append('file', file(html, 'text/html'), 'billing.html');
      const up = await upload('formats', form);
      expect(up.status).toBe(202);
      const doc = await api.settled(up.json.id, keyA);
      expect(doc).toMatchObject({ status: 'processed', mime: 'text/html', source_name: 'billing.html' });
      const s = await api.search('formats', { query: 'when are invoices emailed', top_k: 1 }, keyA);
      expect(s.json.results[0]?.document_id).toBe(doc.id);
      expect(s.json.results[0]?.text).not.toContain('var x');
    });

    it('PDF (multipart file)', async () => {
      const pdf = buildPdf([
        ['Quarterly report'],
        ['Revenue grew by twelve percent in the northern region.'],
      ]);
      const form = new FormData();
      form.append('file', file(pdf, 'application/pdf'), 'report.pdf');
      const up = await upload('formats', form);
      expect(up.status).toBe(202);
      const doc = await api.settled(up.json.id, keyA);
      expect(doc).toMatchObject({ status: 'processed', mime: 'application/pdf' });
      const s = await api.search('formats', { query: 'revenue northern region', top_k: 1 }, keyA);
      expect(s.json.results[0]?.document_id).toBe(doc.id);
    });

    it('a corrupt PDF is accepted, then fails with the reason', async () => {
      const form = new FormData();
      form.append('file', file('%PDF-1.7\nthis is not really a pdf', 'application/pdf'), 'broken.pdf');
      const up = await upload('formats', form);
      expect(up.status).toBe(202);
      const doc = await api.settled(up.json.id, keyA);
      expect(doc.status).toBe('failed');
      expect(doc.error).toEqual(expect.any(String));
      expect(doc.chunks).toBe(0);
      expect(await chunkRows(doc.id)).toBe(0);
    });
  });

  describe('upload rules', () => {
    it('a batch: bad items fail alone, the others are processed', async () => {
      const r = await upload('batch', {
        documents: [
          { text: 'The first good document is about apples.' },
          { text: '   ' },
          { text: 'A spreadsheet', mime: 'application/vnd.ms-excel' },
          { text: 'The second good document is about pears.', metadata: ['not', 'an', 'object'] },
          { text: 'The third good document is about plums.', source_name: 'plums.md' },
        ],
      });
      expect(r.status).toBe(202);
      const items = (r.json as unknown as { documents: BatchItem[] }).documents;
      expect(items).toHaveLength(5);
      expect(items[0]).toEqual({ id: expect.any(String), status: 'pending' });
      expect(items[1]).toMatchObject({
        index: 1,
        error: { code: 'invalid_request_error', param: 'documents.1.text' },
      });
      expect(items[2]).toMatchObject({ index: 2, error: { code: 'unsupported_media_type' } });
      expect(items[3]).toMatchObject({
        index: 3,
        error: { code: 'invalid_request_error', param: 'documents.3.metadata' },
      });
      expect(items[4]).toEqual({ id: expect.any(String), status: 'pending' });
      const docs = await Promise.all([
        api.settled(items[0]?.id ?? '', keyA),
        api.settled(items[4]?.id ?? '', keyA),
      ]);
      expect(docs.map((d) => d.status)).toEqual(['processed', 'processed']);
      expect(docs[1]?.mime).toBe('text/markdown');
    });

    it('several files with one metadata field answer a batch; an oversized file fails alone', async () => {
      const form = new FormData();
      form.append('file', file('Cherries ripen in early summer.', 'text/plain'), 'cherries.txt');
      form.append('file', file('x'.repeat(MAX_BYTES + 1), 'text/plain'), 'huge.txt');
      form.append('metadata', JSON.stringify({ team: 'orchard' }));
      form.append('file', file('# Figs\n\nFigs like warm walls.', 'application/octet-stream'), 'figs.md');
      const r = await upload('batch', form);
      expect(r.status).toBe(202);
      const items = (r.json as unknown as { documents: BatchItem[] }).documents;
      expect(items.map((i) => i.error?.code ?? i.status)).toEqual([
        'pending',
        'request_too_large',
        'pending',
      ]);
      const figs = await api.settled(items[2]?.id ?? '', keyA);
      expect(figs).toMatchObject({
        status: 'processed',
        mime: 'text/markdown',
        metadata: { team: 'orchard' },
      });
    });

    it('refuses oversized (413), empty (400) and unsupported (415) single documents', async () => {
      const big = await upload('rules', { text: 'y'.repeat(MAX_BYTES + 1) });
      expect(big.status).toBe(413);
      expect(big.json.error.code).toBe('request_too_large');
      const empty = await upload('rules', { text: '' });
      expect(empty.status).toBe(400);
      const missing = await upload('rules', { metadata: {} });
      expect(missing.status).toBe(400);
      expect(missing.json.error.param).toBe('text');
      const form = new FormData();
      form.append('file', file(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]), 'image/png'), 'pic.png');
      const png = await upload('rules', form);
      expect(png.status).toBe(415);
      expect(png.json.error.code).toBe('unsupported_media_type');
      const bigFile = new FormData();
      bigFile.append('file', file('z'.repeat(MAX_BYTES + 1), 'text/plain'), 'big.txt');
      expect((await upload('rules', bigFile)).status).toBe(413);
      const noFile = new FormData();
      noFile.append('metadata', '{}');
      expect((await upload('rules', noFile)).status).toBe(400);
      expect((await upload('bad name!', { text: 'hello' })).status).toBe(400);
      // Nothing was stored for the refused uploads, not even the collection.
      expect(await queryOnce(db.url, "SELECT 1 FROM collections WHERE name = 'rules'")).toEqual([]);
    });

    it('the same content again is the same document: no new chunks, its status as it is', async () => {
      const text = 'Dedupe me: the gateway stores identical uploads once per collection.';
      const first = await uploadProcessed('dedupe', { text, metadata: { v: 1 } });
      const chunksBefore = await chunkRows(first.id);
      const again = await upload('dedupe', { text, metadata: { v: 2 } });
      expect(again.status).toBe(202);
      expect(again.json).toEqual({ id: first.id, status: 'processed' });
      expect(await chunkRows(first.id)).toBe(chunksBefore);
      const docs = await queryOnce<{ n: string }>(
        db.url,
        "SELECT count(*)::text AS n FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = 'dedupe'",
      );
      expect(docs[0]?.n).toBe('1');
      // Another collection is another document.
      const elsewhere = await upload('dedupe-2', { text });
      expect(elsewhere.json.id).not.toBe(first.id);
    });
  });

  describe('reading and listing', () => {
    it('lists a collection newest first with a cursor, and by status', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await upload('listing', { text: `Listing document number ${i}.` });
        ids.push(r.json.id);
      }
      await Promise.all(ids.map((id) => api.settled(id, keyA)));
      const first = await api.call<{ data: DocumentView[]; next_cursor: string | null }>(
        'GET',
        '/api/collections/listing/documents?limit=2',
        keyA,
      );
      expect(first.status).toBe(200);
      expect(first.json.data.map((d) => d.id)).toEqual([ids[4], ids[3]]);
      const seen = [...first.json.data.map((d) => d.id)];
      let cursor = first.json.next_cursor;
      while (cursor) {
        const page = await api.call<{ data: DocumentView[]; next_cursor: string | null }>(
          'GET',
          `/api/collections/listing/documents?limit=2&cursor=${cursor}`,
          keyA,
        );
        seen.push(...page.json.data.map((d) => d.id));
        cursor = page.json.next_cursor;
      }
      expect(seen).toEqual([...ids].reverse());
      const failed = await api.call<{ data: DocumentView[] }>(
        'GET',
        '/api/collections/listing/documents?status=failed',
        keyA,
      );
      expect(failed.json.data).toEqual([]);
      expect((await api.call('GET', '/api/collections/listing/documents?limit=101', keyA)).status).toBe(400);
      expect((await api.call('GET', '/api/collections/listing/documents?cursor=nonsense', keyA)).status).toBe(
        400,
      );
      expect((await api.call('GET', '/api/collections/nothing-here/documents', keyA)).status).toBe(404);
      expect((await api.call('GET', '/api/documents/not-a-uuid', keyA)).status).toBe(404);
    });
  });

  describe('search', () => {
    beforeAll(async () => {
      const r = await upload('fruit', {
        documents: [
          { text: 'Apples are crunchy and sweet.', metadata: { lang: 'en', kind: 'fruit' } },
          { text: 'Apples and pears grow in orchards.', metadata: { lang: 'en', kind: 'tree' } },
          { text: 'Pommes sont croquantes et sucrées.', metadata: { lang: 'fr', kind: 'fruit' } },
          { text: 'Bananas are yellow and grow in bunches.', metadata: { lang: 'en', kind: 'fruit' } },
          { text: 'Cement is grey and sets when it dries.', metadata: { lang: 'en', kind: 'material' } },
        ],
      });
      const items = (r.json as unknown as { documents: BatchItem[] }).documents;
      await Promise.all(items.map((i) => api.settled(i.id ?? '', keyA)));
    });

    it('orders by score, honours top_k, min_score and metadata filters', async () => {
      const all = await api.search('fruit', { query: 'apples crunchy sweet', top_k: 10 }, keyA);
      expect(all.status).toBe(200);
      const scores = all.json.results.map((r) => r.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(all.json.results[0]?.text).toBe('Apples are crunchy and sweet.');
      expect(all.json.results[0]?.score).toBeGreaterThan(0.5);
      expect(all.json.results).toHaveLength(5);
      expect(Object.keys(all.json.results[0] ?? {}).sort()).toEqual(
        [
          'chunk_id',
          'document_id',
          'heading_path',
          'metadata',
          'position',
          'score',
          'source_name',
          'text',
        ].sort(),
      );

      const two = await api.search('fruit', { query: 'apples crunchy sweet', top_k: 2 }, keyA);
      expect(two.json.results.map((r) => r.chunk_id)).toEqual(
        all.json.results.slice(0, 2).map((r) => r.chunk_id),
      );

      const threshold = ((all.json.results[0]?.score ?? 0) + (all.json.results[1]?.score ?? 0)) / 2;
      const strict = await api.search(
        'fruit',
        { query: 'apples crunchy sweet', top_k: 10, min_score: threshold },
        keyA,
      );
      expect(strict.json.results.map((r) => r.text)).toEqual(['Apples are crunchy and sweet.']);
      const nothing = await api.search('fruit', { query: 'apples crunchy sweet', min_score: 1 }, keyA);
      expect(nothing.json.results.length).toBeLessThanOrEqual(1);

      const fr = await api.search('fruit', { query: 'apples', top_k: 10, filter: { lang: 'fr' } }, keyA);
      expect(fr.json.results.map((r) => r.text)).toEqual(['Pommes sont croquantes et sucrées.']);
      const enFruit = await api.search(
        'fruit',
        { query: 'apples', top_k: 10, filter: { lang: 'en', kind: 'fruit' } },
        keyA,
      );
      expect(enFruit.json.results.map((r) => r.metadata?.kind)).toEqual(['fruit', 'fruit']);
      const none = await api.search('fruit', { query: 'apples', filter: { lang: 'de' } }, keyA);
      expect(none.json.results).toEqual([]);

      const defaults = await api.search('fruit', { query: 'grow' }, keyA);
      expect(defaults.json.results).toHaveLength(5);
    });

    it('validates the request and 404s an unknown collection', async () => {
      for (const body of [
        { query: 'x', top_k: 0 },
        { query: 'x', top_k: 101 },
        { query: 'x', top_k: 2.5 },
        { query: 'x', min_score: 1.5 },
        { query: 'x', filter: ['lang'] },
        { query: '' },
        { top_k: 3 },
      ]) {
        const r = await api.search('fruit', body, keyA);
        expect({ body, status: r.status }).toEqual({ body, status: 400 });
      }
      expect((await api.search('fruit', { query: 'x', top_k: 100 }, keyA)).status).toBe(200);
      const missing = await api.search('no-such-collection', { query: 'x' }, keyA);
      expect(missing.status).toBe(404);
      expect((missing.json as unknown as ErrorBody).error.code).toBe('not_found');
    });
  });

  describe('tenancy', () => {
    it("another key sees none of a key's collections and documents; the admin sees them", async () => {
      const doc = await uploadProcessed('private', { text: 'Tenant A secret plans for the launch.' });
      expect((await api.call('GET', `/api/documents/${doc.id}`, keyB)).status).toBe(404);
      expect((await api.call('DELETE', `/api/documents/${doc.id}`, keyB)).status).toBe(404);
      expect((await api.call('GET', '/api/collections/private/documents', keyB)).status).toBe(404);
      expect((await api.search('private', { query: 'secret plans' }, keyB)).status).toBe(404);
      expect((await api.call('DELETE', '/api/collections/private', keyB)).status).toBe(404);
      expect(
        (await api.call('GET', `/api/collections/private/documents?tenant=${keyAId}`, keyB)).status,
      ).toBe(404);

      // B's collection of the same name is B's own.
      const mine = await uploadProcessed('private', { text: 'Tenant B shopping list.' }, keyB);
      const bSearch = await api.search('private', { query: 'secret plans', top_k: 10 }, keyB);
      expect(bSearch.json.results.map((r) => r.document_id)).toEqual([mine.id]);

      expect((await api.call('GET', `/api/documents/${doc.id}`, ADMIN_KEY)).status).toBe(200);
      // The admin's own collection of that name does not exist; ?tenant= addresses A's.
      expect((await api.search('private', { query: 'secret' }, ADMIN_KEY)).status).toBe(404);
      const adminSearch = await api.call<{ results: Array<{ document_id: string }> }>(
        'POST',
        `/api/collections/private/search?tenant=${keyAId}`,
        ADMIN_KEY,
        { query: 'secret plans' },
      );
      expect(adminSearch.json.results.map((r) => r.document_id)).toEqual([doc.id]);
      const adminList = await api.call<{ data: DocumentView[] }>(
        'GET',
        `/api/collections/private/documents?tenant=${keyAId}`,
        ADMIN_KEY,
      );
      expect(adminList.json.data.map((d) => d.id)).toEqual([doc.id]);
    });
  });

  describe('usage of the embedder', () => {
    it("books ingestion and search embeddings to the owner's key; the key's token limit holds for search", async () => {
      const issued = await api.call<{ id: string; key: string }>('POST', '/api/keys', ADMIN_KEY, {
        name: 'metered',
        tpm: 30,
      });
      expect(issued.status).toBe(201);
      const { id, key } = issued.json;
      // 9 words: the local embedder's tokens. Ingestion runs in the background, held to no limit.
      await uploadProcessed('metered', { text: 'Usage is booked to the owner of every document.' }, key);
      expect((await api.search('metered', { query: 'booked owner' }, key)).status).toBe(200);
      // About 50 tokens estimated for the query: over the key's 30 per minute, refused before embedding.
      const tooLong = await api.search('metered', { query: 'word '.repeat(40) }, key);
      expect(tooLong.status).toBe(429);

      let totals: { requests: number; prompt_tokens: number; completion_tokens: number } | undefined;
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const usage = await api.call<{ totals: typeof totals; data: Array<{ model: string }> }>(
          'GET',
          `/api/keys/${id}/usage`,
          ADMIN_KEY,
        );
        totals = usage.json.totals;
        if ((totals?.requests ?? 0) >= 2) {
          expect(usage.json.data.map((d) => d.model)).toEqual(['local/hash-384']);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(totals).toMatchObject({ requests: 2, prompt_tokens: 9 + 2, completion_tokens: 0 });
    });
  });

  describe('the ContextRetriever (chat context)', () => {
    it("retrieves from the caller's own collection, and 404s an unknown or foreign one", async () => {
      const doc = await uploadProcessed('retrieval', {
        text: GUIDE_MD,
        mime: 'text/markdown',
        source_name: 'guide.md',
        metadata: { lang: 'en' },
      });
      const retriever = gw.app.get(ContextRetriever, { strict: false });
      const tenantA = {
        principal: {
          keyId: keyAId,
          name: 'tenant-a',
          scopes: new Set(['documents']),
          limits: {},
        } satisfies Principal,
        requestId: 'retrieval-test',
      };
      const chunks = await retriever.retrieve(tenantA, {
        collection: 'retrieval',
        query: 'npm ci npm start',
        topK: 2,
      });
      expect(chunks[0]).toMatchObject({
        documentId: doc.id,
        source: 'guide.md',
        headingPath: ['Gateway guide', 'Install'],
        metadata: { lang: 'en' },
      });
      expect(chunks[0]?.tokenCount).toBeGreaterThan(0);
      expect(chunks[0]?.score).toBeGreaterThan(chunks[1]?.score ?? 0);
      expect(
        await retriever.retrieve(tenantA, {
          collection: 'retrieval',
          query: 'npm',
          topK: 5,
          filter: { lang: 'de' },
        }),
      ).toEqual([]);
      await expect(
        retriever.retrieve(tenantA, { collection: 'missing', query: 'npm', topK: 2 }),
      ).rejects.toMatchObject({ code: 'not_found' });
      // The admin's own collections are the admin's: A's is not among them.
      await expect(
        retriever.retrieve(
          { principal: ADMIN_PRINCIPAL, requestId: 'retrieval-test' },
          { collection: 'retrieval', query: 'npm', topK: 2 },
        ),
      ).rejects.toMatchObject({ code: 'not_found' });
    });
  });

  describe('deleting', () => {
    it('a document: its chunks and the cached answers built on it go', async () => {
      const doc = await uploadProcessed('deleting', { text: 'This document will be deleted soon enough.' });
      const keep = await uploadProcessed('deleting', { text: 'This document stays where it is.' });
      expect(await chunkRows(doc.id)).toBeGreaterThan(0);
      const cache = gw.app.get(ResponseCacheService, { strict: false });
      const refs = gw.app.get(ContextCacheRefs, { strict: false });
      await cache.set('test:answer-on-doc', Buffer.from('cached answer'), 60_000);
      await cache.set('test:answer-on-other', Buffer.from('other answer'), 60_000);
      await refs.record([doc.id], 'test:answer-on-doc', 60_000);
      await refs.record([keep.id], 'test:answer-on-other', 60_000);

      expect((await api.call('DELETE', `/api/documents/${doc.id}`, keyA)).status).toBe(204);
      expect(await chunkRows(doc.id)).toBe(0);
      expect((await api.call('GET', `/api/documents/${doc.id}`, keyA)).status).toBe(404);
      expect((await api.call('DELETE', `/api/documents/${doc.id}`, keyA)).status).toBe(404);
      expect(await cache.get('test:answer-on-doc')).toBeUndefined();
      expect((await cache.get('test:answer-on-other'))?.toString()).toBe('other answer');
      const s = await api.search('deleting', { query: 'document deleted soon', top_k: 10 }, keyA);
      expect(s.json.results.map((r) => r.document_id)).toEqual([keep.id]);
    });

    it('a collection: every document, chunk and cached answer goes', async () => {
      const one = await uploadProcessed('doomed', { text: 'First doomed document.' });
      const two = await uploadProcessed('doomed', { text: 'Second doomed document.' });
      const cache = gw.app.get(ResponseCacheService, { strict: false });
      const refs = gw.app.get(ContextCacheRefs, { strict: false });
      await cache.set('test:answer-on-doomed', Buffer.from('cached'), 60_000);
      await refs.record([one.id, two.id], 'test:answer-on-doomed', 60_000);

      expect((await api.call('DELETE', '/api/collections/doomed', keyA)).status).toBe(204);
      expect((await api.call('GET', `/api/documents/${one.id}`, keyA)).status).toBe(404);
      expect(await chunkRows(one.id)).toBe(0);
      expect(await chunkRows(two.id)).toBe(0);
      expect(await cache.get('test:answer-on-doomed')).toBeUndefined();
      expect((await api.search('doomed', { query: 'doomed' }, keyA)).status).toBe(404);
      expect((await api.call('DELETE', '/api/collections/doomed', keyA)).status).toBe(404);
      // Uploading again starts a new, empty collection.
      const again = await uploadProcessed('doomed', { text: 'First doomed document.' });
      expect(again.id).not.toBe(one.id);
    });
  });

  it('is described in the OpenAPI document', async () => {
    const r = await api.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/docs-json');
    expect(Object.keys(r.json.paths)).toEqual(
      expect.arrayContaining([
        '/api/collections/{collection}/documents',
        '/api/collections/{collection}/search',
        '/api/collections/{collection}',
        '/api/documents/{id}',
      ]),
    );
    expect(Object.keys(r.json.paths['/api/collections/{collection}/documents'] ?? {}).sort()).toEqual([
      'get',
      'post',
    ]);
  });
});

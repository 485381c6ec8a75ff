import { EmbeddingBatcher } from './embedding-batcher.js';

interface Call {
  model: string;
  texts: string[];
  signal: AbortSignal;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** An embedder whose calls stay open until the test answers them; a text's vector is [its length]. */
function manualEmbedder() {
  const calls: Call[] = [];
  const embed = (model: string, texts: string[], signal: AbortSignal) =>
    new Promise<number[][]>((resolve, reject) => {
      calls.push({ model, texts, signal, resolve: () => resolve(texts.map((t) => [t.length])), reject });
    });
  return { calls, embed };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const texts = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${'x'.repeat(i)}`);

describe('EmbeddingBatcher', () => {
  it('fills one call with the texts of several small requests', async () => {
    const e = manualEmbedder();
    const b = new EmbeddingBatcher(e.embed, { batchSize: 8, concurrency: 2, windowMs: 5 });
    const signal = new AbortController().signal;
    const results = [
      b.embed('m', ['a', 'bb'], signal),
      b.embed('m', ['ccc'], signal),
      b.embed('m', ['dddd'], signal),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(e.calls.map((c) => c.texts)).toEqual([['a', 'bb', 'ccc', 'dddd']]);
    e.calls[0]?.resolve();
    await expect(Promise.all(results)).resolves.toEqual([[[1], [2]], [[3]], [[4]]]);
  });

  it('sends a full batch at once and splits a large request, at most `concurrency` calls in flight', async () => {
    const e = manualEmbedder();
    const b = new EmbeddingBatcher(e.embed, { batchSize: 4, concurrency: 2, windowMs: 1_000 });
    const big = b.embed('m', texts('t', 10), new AbortController().signal);
    await tick();
    // Two full batches went without waiting for the window; the rest waits for a free slot.
    expect(e.calls.map((c) => c.texts.length)).toEqual([4, 4]);
    e.calls[0]?.resolve();
    await tick();
    // The remaining two texts are a partial batch: they go once a slot is free and the window passed.
    expect(e.calls).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(e.calls.map((c) => c.texts.length)).toEqual([4, 4, 2]);
    e.calls[1]?.resolve();
    e.calls[2]?.resolve();
    const vectors = await big;
    expect(vectors.map((v) => v[0])).toEqual(texts('t', 10).map((t) => t.length));
  });

  it('keeps models apart', async () => {
    const e = manualEmbedder();
    const b = new EmbeddingBatcher(e.embed, { batchSize: 8, concurrency: 4, windowMs: 1 });
    const signal = new AbortController().signal;
    const one = b.embed('m1', ['a'], signal);
    const two = b.embed('m2', ['b'], signal);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(e.calls.map((c) => [c.model, c.texts])).toEqual([
      ['m1', ['a']],
      ['m2', ['b']],
    ]);
    for (const c of e.calls) c.resolve();
    await expect(Promise.all([one, two])).resolves.toEqual([[[1]], [[1]]]);
  });

  it('fails every request that had texts in a failed call, and only those', async () => {
    const e = manualEmbedder();
    const b = new EmbeddingBatcher(e.embed, { batchSize: 2, concurrency: 1, windowMs: 1 });
    const signal = new AbortController().signal;
    const first = b.embed('m', ['a'], signal);
    const second = b.embed('m', ['b', 'c'], signal);
    await tick();
    expect(e.calls[0]?.texts).toEqual(['a', 'b']);
    e.calls[0]?.reject(new Error('upstream down'));
    await expect(first).rejects.toThrow('upstream down');
    await expect(second).rejects.toThrow('upstream down');
    // The failed request's unsent text is dropped, not sent on its own.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(e.calls).toHaveLength(1);
  });

  it('an aborted request drops its unsent texts; a call shared with others still completes for them', async () => {
    const e = manualEmbedder();
    const b = new EmbeddingBatcher(e.embed, { batchSize: 2, concurrency: 1, windowMs: 1 });
    const gone = new AbortController();
    const kept = b.embed('m', ['a'], new AbortController().signal);
    const aborted = b.embed('m', ['b', 'c', 'd'], gone.signal);
    await tick();
    expect(e.calls[0]?.texts).toEqual(['a', 'b']);
    gone.abort(new Error('shutting down'));
    await expect(aborted).rejects.toThrow('shutting down');
    expect(e.calls[0]?.signal.aborted).toBe(false);
    e.calls[0]?.resolve();
    await expect(kept).resolves.toEqual([[1]]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(e.calls).toHaveLength(1);
  });

  it('aborts a call whose every request has gone', async () => {
    const e = manualEmbedder();
    const b = new EmbeddingBatcher(e.embed, { batchSize: 2, concurrency: 1, windowMs: 1 });
    const gone = new AbortController();
    const only = b.embed('m', ['a', 'b'], gone.signal);
    await tick();
    gone.abort(new Error('deleted'));
    await expect(only).rejects.toThrow('deleted');
    expect(e.calls[0]?.signal.aborted).toBe(true);
  });

  it('refuses a response with the wrong number of vectors', async () => {
    const b = new EmbeddingBatcher(async () => [[1]], { batchSize: 4, concurrency: 1, windowMs: 1 });
    await expect(b.embed('m', ['a', 'b'], new AbortController().signal)).rejects.toThrow(
      '1 vectors for 2 texts',
    );
  });
});

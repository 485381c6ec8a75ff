/** Embeds a batch of texts with one call; the batcher's only dependency. */
export type EmbedBatch = (model: string, texts: string[], signal: AbortSignal) => Promise<number[][]>;

export interface EmbeddingBatcherOptions {
  /** Texts per embedding call. */
  batchSize: number;
  /** Embedding calls in flight at once. */
  concurrency: number;
  /** How long a partly filled batch waits for more texts before it is sent. */
  windowMs: number;
}

interface Job {
  model: string;
  texts: readonly string[];
  vectors: Array<number[] | undefined>;
  /** Index of the next text not yet sent. */
  next: number;
  /** Texts sent and not yet answered, plus texts not yet sent. */
  outstanding: number;
  signal: AbortSignal;
  settled: boolean;
  resolve: (vectors: number[][]) => void;
  reject: (err: unknown) => void;
  onAbort: () => void;
}

interface Slice {
  job: Job;
  start: number;
  end: number;
}

/**
 * Coalesces embedding requests: texts from several documents (a few chunks each) fill one call of
 * `batchSize` texts, large requests are split across calls, and at most `concurrency` calls are in
 * flight. A full batch goes at once; a partial one waits `windowMs` for company. A failed call fails
 * every request that had texts in it; an aborted request drops its unsent texts.
 */
export class EmbeddingBatcher {
  private readonly waiting = new Map<string, Job[]>();
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  /** Set when the window has passed: partial batches may go. */
  private flushDue = false;

  constructor(
    private readonly embedBatch: EmbedBatch,
    private readonly options: EmbeddingBatcherOptions,
  ) {}

  embed(model: string, texts: readonly string[], signal: AbortSignal): Promise<number[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<number[][]>((resolve, reject) => {
      const job: Job = {
        model,
        texts,
        vectors: new Array<number[] | undefined>(texts.length),
        next: 0,
        outstanding: texts.length,
        signal,
        settled: false,
        resolve,
        reject,
        onAbort: () => this.fail(job, signal.reason),
      };
      signal.addEventListener('abort', job.onAbort, { once: true });
      const queue = this.waiting.get(model) ?? [];
      queue.push(job);
      this.waiting.set(model, queue);
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency) {
      const model = this.nextModel();
      if (model === undefined) break;
      this.send(model);
    }
    if (this.unsent() === 0) {
      this.flushDue = false;
      clearTimeout(this.timer);
      this.timer = undefined;
    } else if (!this.flushDue && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushDue = true;
        this.pump();
      }, this.options.windowMs);
    }
  }

  /** A model with a full batch waiting, or once the window has passed, any model with texts waiting. */
  private nextModel(): string | undefined {
    let partial: string | undefined;
    for (const [model, jobs] of this.waiting) {
      const unsent = jobs.reduce((n, j) => n + (j.texts.length - j.next), 0);
      if (unsent >= this.options.batchSize) return model;
      if (unsent > 0) partial ??= model;
    }
    return this.flushDue ? partial : undefined;
  }

  private unsent(): number {
    let n = 0;
    for (const jobs of this.waiting.values()) for (const j of jobs) n += j.texts.length - j.next;
    return n;
  }

  private send(model: string): void {
    const jobs = this.waiting.get(model) ?? [];
    const slices: Slice[] = [];
    let room = this.options.batchSize;
    while (room > 0 && jobs.length > 0) {
      const job = jobs[0];
      const take = Math.min(room, job.texts.length - job.next);
      slices.push({ job, start: job.next, end: job.next + take });
      job.next += take;
      room -= take;
      if (job.next === job.texts.length) jobs.shift();
    }
    if (jobs.length === 0) this.waiting.delete(model);
    const texts = slices.flatMap((s) => s.job.texts.slice(s.start, s.end));
    const controller = new AbortController();
    // The call is abandoned only when every request in it has gone.
    const abandon = () => {
      if (slices.every((s) => s.job.settled)) controller.abort();
    };
    for (const s of slices) s.job.signal.addEventListener('abort', abandon, { once: true });
    this.inFlight++;
    this.embedBatch(model, texts, controller.signal)
      .then(
        (vectors) => this.deliver(slices, vectors),
        (err: unknown) => {
          for (const s of slices) this.fail(s.job, err);
        },
      )
      .finally(() => {
        for (const s of slices) s.job.signal.removeEventListener('abort', abandon);
        this.inFlight--;
        this.pump();
      });
  }

  private deliver(slices: readonly Slice[], vectors: number[][]): void {
    const expected = slices.reduce((n, s) => n + s.end - s.start, 0);
    if (vectors.length !== expected) {
      const err = new Error(`the embedder returned ${vectors.length} vectors for ${expected} texts`);
      for (const s of slices) this.fail(s.job, err);
      return;
    }
    let offset = 0;
    for (const s of slices) {
      for (let i = s.start; i < s.end; i++) s.job.vectors[i] = vectors[offset++];
      s.job.outstanding -= s.end - s.start;
      if (s.job.outstanding === 0 && !s.job.settled) {
        s.job.settled = true;
        s.job.signal.removeEventListener('abort', s.job.onAbort);
        s.job.resolve(s.job.vectors as number[][]);
      }
    }
  }

  private fail(job: Job, err: unknown): void {
    if (job.settled) return;
    job.settled = true;
    job.signal.removeEventListener('abort', job.onAbort);
    const jobs = this.waiting.get(job.model);
    if (jobs) {
      const i = jobs.indexOf(job);
      if (i >= 0) jobs.splice(i, 1);
      if (jobs.length === 0) this.waiting.delete(job.model);
    }
    job.reject(err);
  }
}

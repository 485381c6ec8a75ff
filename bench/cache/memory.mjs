// Memory per entry of the in-process cache tier, for bench/cache/run.mjs (which starts it in a fresh
// process with --expose-gc, so nothing else lives on the heap): the compiled `MemoryCacheStore` filled
// with ENTRIES values of a typical cached answer (~1.2 KB chat.completion JSON) encoded by the compiled
// `CacheCodec` (gzip from 512 bytes), once without and once with a 32-byte encryption key, under
// cache keys shaped like the gateway's. Reports heapUsed / external / RSS deltas after full GCs, and
// the codec's encode and decode µs per entry.
// One variant per process, so RSS is not flattered by memory a previous variant freed.
// Usage: node --expose-gc bench/cache/memory.mjs <repo-root> plain|aes   (prints one JSON line)
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const ENTRIES = 100_000;
const TTL_MS = 3_600_000;
const TIMING_ROUNDS = 3;
const TIMING_SAMPLE = 10_000;

const [root, variant] = process.argv.slice(2);
if (!root || !['plain', 'aes'].includes(variant) || typeof global.gc !== 'function') {
  console.error('usage: node --expose-gc bench/cache/memory.mjs <repo-root> plain|aes');
  process.exit(2);
}
const dist = (p) => pathToFileURL(path.join(root, 'dist/src', p)).href;
const { MemoryCacheStore } = await import(dist('cache/stores/memory.cache-store.js'));
const { CacheCodec } = await import(dist('cache/codec/cache-codec.js'));

/** A typical non-streamed answer: a few sentences of prose, usage, ids; varied per entry. */
function answer(i) {
  const content =
    `Entry ${i}: to configure the connection pool, set the maximum size to roughly twice the number ` +
    'of CPU cores, keep idle connections for about thirty seconds, and make sure every request ' +
    'releases its client in a finally block. Monitor wait time and saturation; if requests queue, ' +
    'raise the limit gradually or add a read replica for reporting queries. Timeouts should be ' +
    'shorter than the load balancer idle timeout so that broken sockets are detected early. ' +
    'Finally, record pool metrics (active, idle, waiting) and alert when waiting stays above zero ' +
    'for more than a minute, because that usually means a leak or a slow query holding clients. ' +
    `Reference ${createHash('sha1').update(String(i)).digest('hex')}.`;
  return Buffer.from(
    JSON.stringify({
      id: `chatcmpl-${createHash('md5').update(`id${i}`).digest('base64url')}`,
      object: 'chat.completion',
      created: 1_750_000_000 + i,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 25 + (i % 50),
        completion_tokens: 120 + (i % 30),
        total_tokens: 145 + (i % 80),
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
      },
      system_fingerprint: 'fp_0ba0d124f1',
    }),
  );
}

const keyOf = (i) =>
  `llm:v1:exact:default:openai/gpt-4o-mini:${createHash('sha256').update(`q${i}`).digest('hex')}`;

function fullGc() {
  for (let i = 0; i < 4; i++) global.gc();
}

function usage() {
  fullGc();
  const m = process.memoryUsage();
  // external already includes arrayBuffers (every Buffer's bytes).
  return { heapUsed: m.heapUsed, external: m.external, rss: m.rss };
}

/** Best-of-rounds µs per call over the same TIMING_SAMPLE entries (interference only adds time). */
function timePerCall(fn) {
  let best = Infinity;
  for (let r = 0; r < TIMING_ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < TIMING_SAMPLE; i++) fn(i);
    best = Math.min(best, ((performance.now() - start) * 1000) / TIMING_SAMPLE);
  }
  return Math.round(best * 100) / 100;
}

function run(label, encryptionKey) {
  const codec = new CacheCodec({ compressMinBytes: 512, encryptionKey });
  const plains = Array.from({ length: TIMING_SAMPLE }, (_, i) => answer(i));
  const keys = Array.from({ length: TIMING_SAMPLE }, (_, i) => keyOf(i));
  const encoded = plains.map((p, i) => codec.encode(p, keys[i]));
  const encodeUs = timePerCall((i) => codec.encode(plains[i], keys[i]));
  const decodeUs = timePerCall((i) => codec.decode(encoded[i], keys[i]));
  plains.length = 0;
  keys.length = 0;
  encoded.length = 0;

  const before = usage();
  const store = new MemoryCacheStore({
    maxEntries: 200_000,
    maxBytes: 2e9,
    policy: 'lru',
    sweepIntervalMs: 0,
  });
  let plainBytes = 0;
  let storedBytes = 0;
  let keyChars = 0;
  for (let i = 0; i < ENTRIES; i++) {
    const key = keyOf(i);
    const plain = answer(i);
    const value = codec.encode(plain, key);
    plainBytes += plain.length;
    storedBytes += value.length;
    keyChars += key.length;
    void store.set(key, value, TTL_MS);
  }
  const after = usage();
  const stats = store.stats();
  const per = (d) => Math.round(d / ENTRIES);
  const result = {
    label,
    encrypted: Boolean(encryptionKey),
    entries: ENTRIES,
    storeEntries: stats.entries ?? stats.size ?? null,
    avgPlainBytes: per(plainBytes),
    avgStoredBytes: per(storedBytes),
    avgKeyChars: per(keyChars),
    heapBytesPerEntry: per(after.heapUsed - before.heapUsed),
    externalBytesPerEntry: per(after.external - before.external),
    heapPlusExternalBytesPerEntry: per(after.heapUsed - before.heapUsed + after.external - before.external),
    rssBytesPerEntry: per(after.rss - before.rss),
    heapPlusExternalMbPer100k:
      Math.round(
        ((((after.heapUsed - before.heapUsed + after.external - before.external) / ENTRIES) * 1e5) /
          2 ** 20) *
          10,
      ) / 10,
    rssMbPer100k: Math.round(((((after.rss - before.rss) / ENTRIES) * 1e5) / 2 ** 20) * 10) / 10,
    encodeUs,
    decodeUs,
  };
  if (result.storeEntries !== ENTRIES) throw new Error(`store holds ${result.storeEntries} entries`);
  return result;
}

const result =
  variant === 'aes' ? run('AES-256-GCM', randomBytes(32)) : run('plain (integrity hash)', undefined);
console.log(JSON.stringify(result));

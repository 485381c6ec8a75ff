// Compression for cached responses: gzip, brotli and lz4 (lz4-napi) on OpenAI chat.completion JSON
// of four sizes, plus the AES-256-GCM and SHA-256 costs the cache codec adds on top. The raw
// algorithms are timed directly (the calls and options of `src/cache/codec/cache-compression.ts`), so
// no build is needed. Writes bench/results/cache-codec.{json,md}.
// Usage: node bench/cache/codec.mjs
//
// The script re-runs itself pinned to one CPU when `taskset` exists, so the scheduler does not move
// it between cores mid-measurement.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi';
import { mixedText } from '../tokenizer/corpus.mjs';

const PIN_CPU = '0';
const CONTENT_SIZES = [300, 2048, 8192, 32768];
const TYPICAL_SIZES = [300, 2048, 8192];
// Each timing: a 15 ms warm-up that also sizes the batches, then BATCHES batches sharing
// BUDGET_MS; the fastest batch (per call) is reported. Interference from other work on a shared
// machine only ever adds time, so the minimum is the steadiest estimate of a call's own cost.
const BUDGET_MS = 150;
const BATCHES = 11;
// The codec's default, chosen from these figures (see `choiceProse`).
const CHOICE = { codec: 'gzip-6', algorithm: 'gzip' };

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');

const { constants: Z } = zlib;
const brotliOpts = (quality, sizeHint) => ({
  params: {
    [Z.BROTLI_PARAM_QUALITY]: quality,
    [Z.BROTLI_PARAM_MODE]: Z.BROTLI_MODE_TEXT,
    [Z.BROTLI_PARAM_SIZE_HINT]: sizeHint,
  },
});

/** Every candidate: one-shot synchronous calls, as the codec makes them. */
const CODECS = [
  { id: 'gzip-1', algo: 'gzip', c: (b) => zlib.gzipSync(b, { level: 1 }), d: (b) => zlib.gunzipSync(b) },
  { id: 'gzip-6', algo: 'gzip', c: (b) => zlib.gzipSync(b, { level: 6 }), d: (b) => zlib.gunzipSync(b) },
  {
    id: 'brotli-1',
    algo: 'brotli',
    c: (b) => zlib.brotliCompressSync(b, brotliOpts(1, b.length)),
    d: (b) => zlib.brotliDecompressSync(b),
  },
  {
    id: 'brotli-4',
    algo: 'brotli',
    c: (b) => zlib.brotliCompressSync(b, brotliOpts(4, b.length)),
    d: (b) => zlib.brotliDecompressSync(b),
  },
  {
    id: 'brotli-5',
    algo: 'brotli',
    c: (b) => zlib.brotliCompressSync(b, brotliOpts(5, b.length)),
    d: (b) => zlib.brotliDecompressSync(b),
  },
  {
    id: 'brotli-11',
    algo: 'brotli',
    c: (b) => zlib.brotliCompressSync(b, brotliOpts(11, b.length)),
    d: (b) => zlib.brotliDecompressSync(b),
  },
  { id: 'lz4', algo: 'lz4', c: (b) => lz4Compress(b), d: (b) => lz4Uncompress(b) },
];

// ---------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------

/** mulberry32, so every run builds the same payloads. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(list, rand) {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a code point. */
function cutUtf8(text, bytes) {
  let out = '';
  let n = 0;
  for (const ch of text) {
    const len = Buffer.byteLength(ch);
    if (n + len > bytes) break;
    out += ch;
    n += len;
  }
  return out;
}

/**
 * Assistant text of about `bytes` UTF-8 bytes from the repository's tokenizer texts: the
 * hand-written English, code, markdown, JSON and log samples of `bench/tokenizer/samples.json`
 * (shuffled), then the English/code/JSON sections of the mixed corpus. No passage repeats verbatim
 * (repetition would flatter every compressor). The samples are short and deliberately unlike each
 * other, so they compress worse than one coherent answer; the corpus repeats a small vocabulary, so
 * it compresses better: the 32 KB value is mostly corpus.
 */
function samplesText(bytes, seed) {
  const rand = prng(seed);
  const samples = JSON.parse(readFileSync(path.join(root, 'bench/tokenizer/samples.json'), 'utf8')).samples;
  const real = shuffle(
    samples.filter(
      (s) => ['english', 'code', 'json', 'markdown', 'logs'].includes(s.kind) && s.text.length > 100,
    ),
    rand,
  ).map((s) => (s.kind === 'code' ? `\`\`\`\n${s.text}\n\`\`\`` : s.text));
  const corpus = mixedText(200, seed)
    .split('\n\n')
    .filter((part) => /^[\x00-\x7f]*$/.test(part));
  return fill([...real, ...corpus], bytes);
}

// Direct dependencies with pinned versions, so the text does not change under the benchmark.
const DOC_PACKAGES = ['openai', 'undici', 'class-validator'];

/**
 * Assistant text of about `bytes` from real technical writing: the READMEs of a few installed
 * packages (prose, lists and fenced TypeScript, much like an answer about code), badge and HTML
 * lines dropped, starting at a different paragraph for each size.
 */
function docsText(bytes, seed) {
  const paragraphs = DOC_PACKAGES.map((name) =>
    readFileSync(path.join(root, 'node_modules', name, 'README.md'), 'utf8'),
  )
    .join('\n\n')
    .split('\n')
    .filter((line) => !/^\s*</.test(line) && !line.includes('[!['))
    .join('\n')
    .split(/\n{2,}/);
  const start = Math.floor(prng(seed)() * paragraphs.length * 0.5);
  return fill([...paragraphs.slice(start), ...paragraphs.slice(0, start)], bytes);
}

function fill(parts, bytes) {
  let text = '';
  for (const part of parts) {
    text += (text ? '\n\n' : '') + part;
    if (Buffer.byteLength(text) >= bytes) break;
  }
  if (Buffer.byteLength(text) < bytes) throw new Error(`not enough text for ${bytes} bytes`);
  return cutUtf8(text, bytes);
}

const TEXT_FAMILIES = { samples: samplesText, docs: docsText };

/** A cached value: the UTF-8 JSON of an OpenAI chat.completion, as the gateway stores it. */
function cachedCompletion(family, contentBytes, seed) {
  const rand = prng(seed * 7 + 1);
  const content = TEXT_FAMILIES[family](contentBytes, seed);
  const completionTokens = Math.ceil(Buffer.byteLength(content) / 4);
  const promptTokens = 50 + Math.floor(rand() * 2000);
  const body = {
    id: `chatcmpl-${crypto.createHash('sha256').update(String(seed)).digest('base64url').slice(0, 29)}`,
    object: 'chat.completion',
    created: 1764090000 + Math.floor(rand() * 100000),
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_560af6e559',
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

let sink = 0;

/** µs per call of `fn`: the fastest of BATCHES batches sized to share BUDGET_MS. */
function timeUs(fn) {
  const warmEnd = performance.now() + 15;
  let calls = 0;
  while (performance.now() < warmEnd || calls < 3) {
    sink ^= fn().length;
    calls++;
  }
  const perCallMs = 15 / calls;
  const perBatch = Math.max(1, Math.floor(BUDGET_MS / BATCHES / perCallMs));
  const samples = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) sink ^= fn().length;
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / perBatch);
  }
  return Math.min(...samples);
}

const mbPerS = (bytes, us) => bytes / us; // bytes per µs = MB/s (10^6 bytes)

function measureCompression(payloads) {
  const rows = [];
  for (const p of payloads) {
    for (const codec of CODECS) {
      const packed = codec.c(p.plain);
      if (!codec.d(packed).equals(p.plain)) throw new Error(`${codec.id} does not round-trip`);
      const compressUs = timeUs(() => codec.c(p.plain));
      const decompressUs = timeUs(() => codec.d(packed));
      const row = {
        text: p.family,
        contentBytes: p.contentBytes,
        plainBytes: p.plain.length,
        codec: codec.id,
        algorithm: codec.algo,
        storedBytes: packed.length,
        ratio: p.plain.length / packed.length,
        compressUs,
        decompressUs,
        compressMBs: mbPerS(p.plain.length, compressUs),
        decompressMBs: mbPerS(p.plain.length, decompressUs),
      };
      rows.push(row);
      console.error(
        `${p.family.padEnd(8)} ${String(p.plain.length).padStart(6)} B  ${codec.id.padEnd(10)} ratio ${row.ratio.toFixed(2)}  c ${compressUs.toFixed(1)} µs  d ${decompressUs.toFixed(1)} µs`,
      );
    }
  }
  return rows;
}

/**
 * AES-256-GCM (random 12-byte IV, cache key as associated data, IV and tag framed with the
 * ciphertext) and the SHA-256 integrity hash of unencrypted entries, per payload size.
 */
function measureCrypto(payloads) {
  const key = crypto.randomBytes(32);
  const aad = Buffer.from(`llm:v1:exact:${'ab'.repeat(32)}`);
  const rows = [];
  for (const p of payloads) {
    const encrypt = () => {
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(aad);
      return Buffer.concat([iv, c.update(p.plain), c.final(), c.getAuthTag()]);
    };
    const sealed = encrypt();
    const decrypt = () => {
      const d = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
    };
    if (!decrypt().equals(p.plain)) throw new Error('AES-GCM does not round-trip');
    const hash = () => crypto.createHash('sha256').update(aad).update(p.plain).digest();
    const row = {
      plainBytes: p.plain.length,
      aesEncryptUs: timeUs(encrypt),
      aesDecryptUs: timeUs(decrypt),
      sha256Us: timeUs(hash),
    };
    rows.push(row);
    console.error(
      `crypto   ${String(p.plain.length).padStart(6)} B  aes enc ${row.aesEncryptUs.toFixed(1)} µs  dec ${row.aesDecryptUs.toFixed(1)} µs  sha256 ${row.sha256Us.toFixed(1)} µs`,
    );
  }
  return rows;
}

/** Least-squares line through (KB, µs): a fixed cost per call and a cost per KB. */
function fitLine(rows, field) {
  const xs = rows.map((r) => r.plainBytes / 1024);
  const ys = rows.map((r) => r[field]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  const perKbUs = num / den;
  return { fixedUs: my - perKbUs * mx, perKbUs };
}

function fitCrypto(cryptoRows) {
  return {
    aesEncrypt: fitLine(cryptoRows, 'aesEncryptUs'),
    aesDecrypt: fitLine(cryptoRows, 'aesDecryptUs'),
    sha256: fitLine(cryptoRows, 'sha256Us'),
  };
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const PLAIN_HEADER_BYTES = 23;
const ENCRYPTED_HEADER_BYTES = 39;

function meanOfSize(rows, codec, contentBytes, field) {
  const mine = rows.filter((r) => r.codec === codec && r.contentBytes === contentBytes);
  return mine.reduce((sum, r) => sum + r[field], 0) / mine.length;
}

const f = (n, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const kb = (b) => (b < 1024 ? `${b} B` : `${f(b / 1024, 0)} KB`);

/** Per codec, means over both texts at the typical sizes: the figures the choice rests on. */
function summarise(rows) {
  const typical = rows.filter((r) => TYPICAL_SIZES.includes(r.contentBytes));
  const mean = (list, field) => list.reduce((sum, r) => sum + r[field], 0) / list.length;
  return Object.fromEntries(
    CODECS.map((c) => {
      const mine = typical.filter((r) => r.codec === c.id);
      return [
        c.id,
        {
          meanRatio: mean(mine, 'ratio'),
          storedShare: mean(mine, 'storedBytes') / mean(mine, 'plainBytes'),
          meanCompressUs: mean(mine, 'compressUs'),
          meanDecompressUs: mean(mine, 'decompressUs'),
          maxCompressUs: Math.max(...mine.map((r) => r.compressUs)),
          maxDecompressUs: Math.max(...mine.map((r) => r.decompressUs)),
        },
      ];
    }),
  );
}

function markdown(meta, rows, cryptoRows, cryptoFit, summary) {
  const lines = [];
  lines.push('# Cache codec: compressing and encrypting cached responses', '');
  lines.push(
    `${meta.date} · Node ${meta.node} · ${meta.cpus} · zlib ${meta.versions.zlib}, brotli ${meta.versions.brotli}, lz4-napi ${meta.versions['lz4-napi']} · ${meta.pinnedCpu === null ? 'not pinned' : `pinned to CPU ${meta.pinnedCpu}`} · load average before/after: ${meta.loadBefore} / ${meta.loadAfter}`,
    '',
  );
  lines.push(
    "Each value is the UTF-8 JSON of an OpenAI `chat.completion` (id, one choice, usage details) whose `content` is assistant text of 300 B, 2 KB, 8 KB or 32 KB, from two sources. **samples**: the hand-written English, code, markdown, JSON and log samples of `bench/tokenizer/samples.json`, then English/code/JSON sections of the tokenizer's mixed corpus (`bench/tokenizer/corpus.mjs`); short unrelated samples compress worse than one coherent answer, the corpus (small vocabulary) better, and the 32 KB value is mostly corpus. " +
      `**docs**: consecutive paragraphs of the READMEs of ${DOC_PACKAGES.map((p) => `${p} ${meta.versions[p]}`).join(', ')} (prose, lists and fenced TypeScript, badge and HTML lines dropped), the closest stand-in here for a real answer about code. No passage repeats within a value.`,
    '',
  );
  lines.push(
    `Calls are one-shot and synchronous, with the codec's options (gzip levels as named, brotli in text mode with a size hint, lz4-napi \`compressSync\`/\`uncompressSync\`). Each figure is the fastest of ${BATCHES} batches (per call) after a warm-up; MB/s is plaintext MB (10^6 bytes) per second. ${meta.loadNote}`,
    '',
  );
  lines.push(
    '| text | content | JSON bytes | codec | stored bytes | ratio | compress µs | decompress µs | compress MB/s | decompress MB/s |',
  );
  lines.push('|---|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.text} | ${kb(r.contentBytes)} | ${r.plainBytes.toLocaleString('en-US')} | ${r.codec} | ${r.storedBytes.toLocaleString('en-US')} | ${f(r.ratio, 2)} | ${f(r.compressUs)} | ${f(r.decompressUs)} | ${f(r.compressMBs, 0)} | ${f(r.decompressMBs, 0)} |`,
    );
  }
  lines.push(
    '',
    `Means over both texts at ${TYPICAL_SIZES.map(kb).join(', ')} of content (the typical range):`,
    '',
  );
  lines.push(
    '| codec | mean ratio | stored / plain | mean compress µs | max compress µs | mean decompress µs | max decompress µs |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const [id, s] of Object.entries(summary)) {
    lines.push(
      `| ${id} | ${f(s.meanRatio, 2)} | ${f(100 * s.storedShare, 0)}% | ${f(s.meanCompressUs)} | ${f(s.maxCompressUs)} | ${f(s.meanDecompressUs)} | ${f(s.maxDecompressUs)} |`,
    );
  }
  lines.push('', '## Encryption and integrity', '');
  lines.push(
    'AES-256-GCM with a random 12-byte IV per entry and the cache key as associated data; SHA-256 over the cache key and payload is the integrity check of unencrypted entries. Timed on the uncompressed JSON of the docs values; the codec encrypts or hashes the compressed bytes, so its cost is smaller by the ratio.',
    '',
  );
  lines.push('| JSON bytes | AES-GCM encrypt µs | AES-GCM decrypt µs | SHA-256 µs |');
  lines.push('|---:|---:|---:|---:|');
  for (const r of cryptoRows) {
    lines.push(
      `| ${r.plainBytes.toLocaleString('en-US')} | ${f(r.aesEncryptUs)} | ${f(r.aesDecryptUs)} | ${f(r.sha256Us)} |`,
    );
  }
  const line = (x) => `${f(Math.max(0, x.fixedUs))} µs + ${f(x.perKbUs, 2)} µs/KB`;
  lines.push(
    '',
    `Least-squares fit over the four sizes (fixed cost per call + cost per KB): AES-GCM encrypt ${line(cryptoFit.aesEncrypt)}, decrypt ${line(cryptoFit.aesDecrypt)}; SHA-256 ${line(cryptoFit.sha256)}.`,
  );
  lines.push('', '## Choice', '', ...choiceProse(rows, cryptoFit, summary), '');
  return lines.join('\n');
}

/** The choice and why, with this run's figures. */
function choiceProse(rows, cryptoFit, summary) {
  const pick = summary[CHOICE.codec];
  const s = (id) => summary[id];
  const pct = (x) => `${f(100 * x, 0)}%`;
  const more = (a, b) => pct(a.storedShare / b.storedShare - 1);
  const fewer = (a, b) => pct(1 - a.storedShare / b.storedShare);
  const big = rows.filter((r) => r.contentBytes === CONTENT_SIZES.at(-1));
  const bigMean = (id, field) => {
    const mine = big.filter((r) => r.codec === id);
    return mine.reduce((sum, r) => sum + r[field], 0) / mine.length;
  };
  const typicalMaxBytes = Math.max(
    ...rows.filter((r) => TYPICAL_SIZES.includes(r.contentBytes)).map((r) => r.plainBytes),
  );
  const at = (fit, bytes) => Math.max(0, fit.fixedUs) + (fit.perKbUs * bytes) / 1024;
  // The costliest typical entry: the slowest compression plus encrypting its compressed bytes.
  const writeUs = pick.maxCompressUs + at(cryptoFit.aesEncrypt, typicalMaxBytes / pick.meanRatio);
  const readUs = pick.maxDecompressUs + at(cryptoFit.aesDecrypt, typicalMaxBytes / pick.meanRatio);
  const b5 = s('brotli-5');
  return [
    `**Default: \`algorithm: '${CHOICE.algorithm}'\` (zlib level 6), synchronous.** Configured alternatives: \`'brotli'\` (quality 5, text mode) and \`'lz4'\`; all three are always decoded, since each entry records its algorithm.`,
    '',
    '- An entry is written once per miss, after an upstream call that took from hundreds of milliseconds to tens of seconds, then read on every hit and held in Redis and the in-process tier for its whole TTL. So bytes stored come first, decompression time second, compression time third; and all of it runs synchronously on the event loop, so a typical entry should stay well under ~100 µs.',
    `- gzip-6 stores a typical entry in ${pct(pick.storedShare)} of its size (brotli-4: ${pct(s('brotli-4').storedShare)}, gzip-1: ${pct(s('gzip-1').storedShare)}) in ${f(pick.meanCompressUs)} µs mean, at most ${f(pick.maxCompressUs)} µs (brotli-4: ${f(s('brotli-4').meanCompressUs)} µs mean), and decompresses it in ${f(pick.meanDecompressUs)} µs mean, at most ${f(pick.maxDecompressUs)} µs.`,
    `- brotli-5 keeps ${fewer(b5, pick)} fewer bytes than gzip-6 for ${f(b5.meanCompressUs / pick.meanCompressUs, 1)}x its compression time (up to ${f(b5.maxCompressUs)} µs at 8 KB of content${b5.maxCompressUs > 100 ? ', past the ~100 µs budget' : ''}). brotli-11 keeps ${fewer(s('brotli-11'), pick)} fewer but costs milliseconds per entry (${f(s('brotli-11').meanCompressUs / 1000, 1)} ms mean), which rules it out on the event loop.`,
    `- gzip-1 saves ${f(pick.meanCompressUs - s('gzip-1').meanCompressUs)} µs per write at the typical sizes for ${more(s('gzip-1'), pick)} more bytes. At 32 KB of content the gap widens both ways (ratio ${f(bigMean('gzip-1', 'ratio'), 2)} against ${f(bigMean('gzip-6', 'ratio'), 2)}; ${f(bigMean('gzip-1', 'compressUs'))} µs against ${f(bigMean('gzip-6', 'compressUs'))} µs to compress): gzip-6 pays that once, for an answer that took tens of seconds to generate, and reads it back in ${f(bigMean('gzip-6', 'decompressUs'))} µs.`,
    `- lz4 is the fastest (${f(s('lz4').meanCompressUs)} µs to compress, ${f(s('lz4').meanDecompressUs)} µs to decompress, mean) but keeps ${more(s('lz4'), pick)} more bytes than gzip-6, to save ${f(pick.meanCompressUs - s('lz4').meanCompressUs)} µs per write and ${f(pick.meanDecompressUs - s('lz4').meanDecompressUs)} µs per read.`,
    `- AES-256-GCM costs about ${f(Math.max(0, cryptoFit.aesEncrypt.fixedUs))} µs + ${f(cryptoFit.aesEncrypt.perKbUs, 2)} µs/KB to encrypt and ${f(Math.max(0, cryptoFit.aesDecrypt.fixedUs))} µs + ${f(cryptoFit.aesDecrypt.perKbUs, 2)} µs/KB to decrypt, on the compressed bytes. With it, the costliest typical entry (${typicalMaxBytes.toLocaleString('en-US')} B of JSON) takes about ${f(writeUs, 0)} µs to encode and ${f(readUs, 0)} µs to decode${writeUs < 100 ? ', so the codec stays synchronous' : ''}.`,
    `- The codec's framing adds ${PLAIN_HEADER_BYTES} bytes per unencrypted entry (magic, version, flags, length, 16-byte SHA-256 prefix) and ${ENCRYPTED_HEADER_BYTES} per encrypted one (key id, IV, tag instead of the hash). With the default \`CACHE_COMPRESS_MIN_BYTES=1024\` the 300 B-content values (~900 B of JSON) are stored raw, although gzip-6 would keep ${pct(meanOfSize(rows, 'gzip-6', 300, 'storedBytes') / meanOfSize(rows, 'gzip-6', 300, 'plainBytes'))} of them for ${f(meanOfSize(rows, 'gzip-6', 300, 'compressUs'))} µs; a threshold of a few hundred bytes would be worth it.`,
  ];
}

function main() {
  const canPin = existsSync('/usr/bin/taskset') && os.cpus().length > 1;
  if (canPin && process.env.CACHE_CODEC_BENCH_PINNED !== '1') {
    const r = spawnSync('taskset', ['-c', PIN_CPU, process.execPath, fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: { ...process.env, CACHE_CODEC_BENCH_PINNED: '1' },
    });
    process.exit(r.status ?? 1);
  }
  const loadavg = () => os.loadavg().map((x) => x.toFixed(2));
  const version = (name) =>
    JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'})`,
    versions: {
      zlib: process.versions.zlib,
      brotli: process.versions.brotli,
      'lz4-napi': version('lz4-napi'),
      ...Object.fromEntries(DOC_PACKAGES.map((p) => [p, version(p)])),
    },
    pinnedCpu: process.env.CACHE_CODEC_BENCH_PINNED === '1' ? PIN_CPU : null,
    loadBefore: loadavg().join(' '),
    budgetMsPerFigure: BUDGET_MS,
    batches: BATCHES,
  };
  const payloads = Object.keys(TEXT_FAMILIES).flatMap((family) =>
    CONTENT_SIZES.map((size, i) => ({
      family,
      contentBytes: size,
      plain: cachedCompletion(family, size, 1000 + i),
    })),
  );
  const rows = measureCompression(payloads);
  const cryptoRows = measureCrypto(payloads.filter((p) => p.family === 'docs'));
  meta.loadAfter = loadavg().join(' ');
  const busy = Math.max(Number(meta.loadBefore.split(' ')[0]), Number(meta.loadAfter.split(' ')[0]));
  meta.loadNote =
    busy > os.cpus().length / 2
      ? `Other work shared the machine (1-minute load up to ${f(busy, 2)} on ${os.cpus().length} CPUs), so absolute times are inflated and vary between runs by tens of percent; compare codecs by their ratios.`
      : '';
  const summary = summarise(rows);
  const cryptoFit = fitCrypto(cryptoRows);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    path.join(resultsDir, 'cache-codec.json'),
    `${JSON.stringify({ meta, choice: CHOICE, summary, rows, crypto: cryptoRows, cryptoFit }, null, 2)}\n`,
  );
  const md = markdown(meta, rows, cryptoRows, cryptoFit, summary);
  writeFileSync(path.join(resultsDir, 'cache-codec.md'), md);
  console.log(md);
  if (sink === 0.5) console.log(sink);
}

main();

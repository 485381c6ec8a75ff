// Deterministic synthetic data for the vector suite: prose-like Markdown and plain-text documents of
// varied length (the ingest corpus), short search questions, chunk-sized paragraphs for the bulk
// loaded rows, and random unit vectors. Everything comes from a seeded PRNG, so every run uploads
// and inserts the same bytes.

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FUNCTION_WORDS = (
  'the the the a a an of of to to in in and and is is that for on with as by it this be are ' +
  'from at or not can which when each its their than so if after before because only also then'
).split(' ');
const NOUNS = (
  'gateway request response model provider token cache budget latency retry fallback route ' +
  'stream chunk embedding vector index tenant operator context window usage price limit error ' +
  'timeout upstream header payload schema document search ranking similarity prompt template ' +
  'conversation history summary policy quota metric trace span histogram percentile deployment ' +
  'rollout region cluster replica shard database table column query plan transaction lock queue ' +
  'worker process thread memory buffer disk network socket connection pool certificate key ' +
  'secret account invoice customer order shipment warehouse supplier contract meeting report ' +
  'team manager engineer release version feature incident outage alert dashboard runbook ' +
  'backup snapshot migration upgrade test benchmark baseline threshold estimate forecast'
).split(' ');
const VERBS = (
  'accepts rejects forwards caches retries streams counts trims validates records routes merges ' +
  'stores reads writes builds sends returns checks measures reports limits splits joins starts ' +
  'stops restarts updates deletes creates signs encrypts compresses indexes scans sorts ranks'
).split(' ');
const ADJECTIVES = (
  'slow fast small large new old stale fresh primary secondary local remote shared private ' +
  'public partial complete empty full busy idle hot cold default custom strict lenient ' +
  'daily weekly expensive cheap critical minor internal external'
).split(' ');
const HEADINGS = (
  'Overview Introduction Background Installation Configuration Usage Limits Pricing Security ' +
  'Troubleshooting Monitoring Deployment Architecture Examples Reference Glossary Changelog ' +
  'Performance Backups Upgrades Billing Support Roadmap Testing'
).split(' ');

/** Skewed pick: the start of a list comes up more often, like common words in real text. */
function skewed(rand, list) {
  return list[Math.floor(list.length * rand() * rand())];
}

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

function sentence(rand) {
  const len = 6 + Math.floor(rand() * 20);
  const words = [];
  for (let i = 0; i < len; i++) {
    const r = rand();
    if (r < 0.38) words.push(skewed(rand, FUNCTION_WORDS));
    else if (r < 0.7) words.push(skewed(rand, NOUNS));
    else if (r < 0.85) words.push(pick(rand, VERBS));
    else if (r < 0.97) words.push(pick(rand, ADJECTIVES));
    else words.push(String(Math.floor(rand() * 10_000)));
    if (i > 2 && i < len - 2 && rand() < 0.06) words[words.length - 1] += ',';
  }
  const text = words.join(' ');
  const end = rand() < 0.08 ? '?' : '.';
  return text[0].toUpperCase() + text.slice(1) + end;
}

/** A paragraph of about `words` words (whole sentences). */
export function paragraph(rand, words) {
  const out = [];
  let n = 0;
  while (n < words) {
    const s = sentence(rand);
    out.push(s);
    n += s.split(' ').length;
  }
  return out.join(' ');
}

function list(rand) {
  const items = 3 + Math.floor(rand() * 5);
  const out = [];
  for (let i = 0; i < items; i++) out.push(`- ${sentence(rand)}`);
  return out.join('\n');
}

function title(rand) {
  const t = `${pick(rand, ADJECTIVES)} ${pick(rand, NOUNS)} ${pick(rand, NOUNS)}`;
  return t[0].toUpperCase() + t.slice(1);
}

/** Markdown: a title, then `##`/`###` sections of one to several paragraphs and the odd list. */
function markdown(rand, words) {
  const parts = [`# ${title(rand)}`, ''];
  let n = 0;
  while (n < words) {
    const level = n > 0 && rand() < 0.3 ? '###' : '##';
    parts.push(`${level} ${pick(rand, HEADINGS)}: ${title(rand)}`, '');
    const paragraphs = 1 + Math.floor(rand() * 5);
    for (let p = 0; p < paragraphs && n < words; p++) {
      const size = 40 + Math.floor(rand() * 140);
      parts.push(paragraph(rand, size), '');
      n += size;
      if (rand() < 0.15) parts.push(list(rand), '');
    }
  }
  return parts.join('\n');
}

function plain(rand, words) {
  const parts = [];
  let n = 0;
  while (n < words) {
    const size = 40 + Math.floor(rand() * 160);
    parts.push(paragraph(rand, size));
    n += size;
  }
  return parts.join('\n\n');
}

/**
 * `count` documents for `POST /api/collections/:c/documents` (batch JSON form): 70 % Markdown, 30 %
 * plain text, lengths log-uniform between `minWords` and `maxWords`. `tag` goes into each text so
 * the same corpus can be uploaded to several collections or runs without being a duplicate.
 */
export function documentCorpus({ count, seed, minWords, maxWords, tag }) {
  const rand = prng(seed);
  const docs = [];
  for (let i = 0; i < count; i++) {
    const words = Math.round(minWords * (maxWords / minWords) ** rand());
    const md = rand() < 0.7;
    const body = md ? markdown(rand, words) : plain(rand, words);
    docs.push({
      text: `${body}\n\n(${tag} document ${i})\n`,
      source_name: `doc-${String(i).padStart(4, '0')}.${md ? 'md' : 'txt'}`,
      mime: md ? 'text/markdown' : 'text/plain',
      metadata: { corpus: tag, n: i },
    });
  }
  return docs;
}

/** Search questions of 4–14 words. */
export function questions({ count, seed }) {
  const rand = prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const s = sentence(rand).split(' ');
    out.push(s.slice(0, 4 + Math.floor(rand() * 11)).join(' '));
  }
  return out;
}

/** Standard normal deviate (Box–Muller) from `rand`. */
function gaussian(rand) {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A uniformly random unit vector (normal components, L2-normalised). */
export function unitVector(rand, dim) {
  const v = new Float64Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = gaussian(rand);
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dim; i++) v[i] /= norm;
  return v;
}

/** Latent dimensions of the `subspace` model: within the range estimated for real text embeddings. */
export const LATENT_DIM = 32;
/** Isotropic noise added to a `subspace` vector before it is normalised (relative to its length). */
export const LATENT_NOISE = 0.1;

/**
 * A seeded source of unit vectors. `uniform`: uniformly random on the sphere, every direction alike
 * (HNSW's worst case: distances concentrate and neighbourhoods carry no structure). `subspace`: a
 * random Gaussian point of a LATENT_DIM-dimensional subspace (a fixed random 384 × LATENT_DIM map),
 * plus LATENT_NOISE isotropic noise, normalised: structured like real embeddings, whose intrinsic
 * dimension is far below their width. `sample(rand)` draws one; the map depends only on `seed`.
 */
export function vectorModel(kind, dim, seed) {
  if (kind === 'uniform') return { kind, sample: (rand) => unitVector(rand, dim) };
  if (kind !== 'subspace') throw new Error(`unknown vector model ${kind}`);
  const rand = prng(seed);
  const map = new Float64Array(dim * LATENT_DIM);
  for (let i = 0; i < map.length; i++) map[i] = gaussian(rand);
  const z = new Float64Array(LATENT_DIM);
  const sample = (r) => {
    for (let j = 0; j < LATENT_DIM; j++) z[j] = gaussian(r);
    const v = new Float64Array(dim);
    let norm = 0;
    for (let i = 0; i < dim; i++) {
      let x = 0;
      for (let j = 0; j < LATENT_DIM; j++) x += map[i * LATENT_DIM + j] * z[j];
      v[i] = x;
      norm += x * x;
    }
    const scale = 1 / Math.sqrt(norm);
    const noise = unitVector(r, dim);
    let total = 0;
    for (let i = 0; i < dim; i++) {
      v[i] = v[i] * scale + LATENT_NOISE * noise[i];
      total += v[i] * v[i];
    }
    total = Math.sqrt(total);
    for (let i = 0; i < dim; i++) v[i] /= total;
    return v;
  };
  return { kind, sample };
}

/** pgvector's text form with 7 significant digits (it stores float4 anyway). */
export function vectorLiteral(v) {
  let out = '[';
  for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + (v[i] === 0 ? '0' : v[i].toPrecision(7));
  return `${out}]`;
}

// Deterministic mixed text (English, TypeScript, JSON, non-Latin scripts, emoji) for the
// tokenizer benchmark. Sections are assembled from a seeded PRNG so the text does not repeat
// verbatim: repeated text would flatter a tokenizer with a merge cache.

const WORDS = (
  'the gateway request response model provider token cache budget latency retry fallback route ' +
  'stream chunk embedding vector index tenant operator context window usage price limit error ' +
  'timeout upstream downstream header payload schema document search ranking similarity prompt ' +
  'template conversation history summary policy quota metric trace span histogram percentile ' +
  'deploy rollout canary region cluster replica shard primary secondary consistent eventual'
).split(' ');
const VERBS =
  'accepts rejects forwards caches retries streams counts trims validates records routes merges'.split(' ');
const IDENTS =
  'request response options signal retryAfterMs tokenBudget upstreamUrl tenantId modelName chunkSize'.split(
    ' ',
  );
const UNICODE = [
  '上下文窗口限制了每个请求可以包含的令牌数量，超过限制的请求会在发送前被拒绝。',
  'キャッシュのヒット率は、テナントごとに集計されます。',
  '요청이 실패하면 게이트웨이는 지수 백오프로 다시 시도합니다.',
  'Запрос превысил лимит контекста модели; сократите историю диалога.',
  'تم رفض الطلب لأنه يتجاوز نافذة السياق للنموذج.',
  'Le modèle a répondu en 1,2 s — coût estimé : 0,0004 €.',
  'Straße, Größe, Übermaß: Umlaute und ß im Fließtext.',
  'अनुरोध को मॉडल की संदर्भ सीमा से अधिक होने के कारण अस्वीकार कर दिया गया।',
  'Deploy ✅ 🚀 👩‍💻 🇩🇪 👍🏽 — all green 🎉',
  '∑ tokens ≤ context − max_tokens ⇒ ok; ∀ tenants ∈ T.',
];

/** mulberry32: small seeded PRNG so every run builds the same text. */
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

function english(rand, pick) {
  const sentences = [];
  const n = 3 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const words = [];
    const len = 8 + Math.floor(rand() * 12);
    for (let j = 0; j < len; j++) words.push(j % 4 === 1 ? pick(VERBS) : pick(WORDS));
    const s = words.join(' ');
    sentences.push(s[0].toUpperCase() + s.slice(1) + (rand() < 0.2 ? ', which matters.' : '.'));
  }
  return sentences.join(' ');
}

function code(rand, pick) {
  const fn = `${pick(VERBS)}${pick(WORDS)[0].toUpperCase()}${pick(WORDS).slice(1)}`;
  const a = pick(IDENTS);
  const b = pick(IDENTS);
  const limit = Math.floor(rand() * 100_000);
  return [
    `export async function ${fn}(${a}: string, ${b}?: number): Promise<number> {`,
    `  const limit = ${limit};`,
    `  if (${b} === undefined || ${b} > limit) {`,
    `    throw new GatewayError('context_length_exceeded', \`\${${a}} exceeds \${limit}\`);`,
    '  }',
    `  return Math.min(${b} * ${(rand() * 4).toFixed(3)}, limit);`,
    '}',
  ].join('\n');
}

function json(rand, pick) {
  const obj = {
    id: `req_${Math.floor(rand() * 1e12).toString(36)}`,
    model: pick(['gpt-4o-mini', 'claude-sonnet-4-5', 'llama3.2', 'text-embedding-3-small']),
    usage: { prompt_tokens: Math.floor(rand() * 5000), completion_tokens: Math.floor(rand() * 900) },
    latency_ms: Number((rand() * 3000).toFixed(2)),
    cached: rand() < 0.5,
    tags: [pick(WORDS), pick(WORDS), pick(WORDS)],
    error:
      rand() < 0.3 ? { code: 'rate_limit_exceeded', retry_after: Number((rand() * 10).toFixed(1)) } : null,
  };
  return rand() < 0.5 ? JSON.stringify(obj) : JSON.stringify(obj, null, 2);
}

/**
 * Builds the benchmark text. With the default section count it is ~10k tokens under o200k_base
 * (the benchmark reports the exact count).
 */
export function mixedText(sections = 152, seed = 20261125) {
  const rand = prng(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const makers = [english, code, json, (r, p) => `${p(UNICODE)} ${p(UNICODE)}`];
  const parts = [];
  for (let i = 0; i < sections; i++) parts.push(makers[i % makers.length](rand, pick));
  return parts.join('\n\n');
}

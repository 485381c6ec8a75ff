// gpt-tokenizer vs js-tiktoken for o200k_base and cl100k_base: module load time, counting speed,
// memory, and exactness against a naive reference BPE over the published rank tables; then
// calibrates the character-class token estimate used for models without a local tokenizer.
// Usage: node bench/tokenizer/compare.mjs
//
// Every measurement runs in a fresh child process (`--child ...`), pinned to one CPU when
// `taskset` exists, so module caches, JIT state and the heap never leak between libraries.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixedText } from './corpus.mjs';
import { ESTIMATE_GRID, UNDER_COUNT_MARGIN, estimateTokens, fitEstimate } from './estimate.mjs';

const LIBS = ['gpt-tokenizer', 'js-tiktoken'];
const ENCODINGS = ['o200k_base', 'cl100k_base'];
const LOAD_RUNS = 3;
const WARMUP_RUNS = 5;
const TIMED_RUNS = 20;
// Counting is timed in interleaved rounds; the lower round median is reported, which damps
// interference from other work on a shared machine.
const SPEED_ROUNDS = 2;
const CHILD_TIMEOUT_MS = 120_000;
const PIN_CPU = '1';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');
const samples = JSON.parse(readFileSync(path.join(here, 'samples.json'), 'utf8')).samples;

// ---------------------------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------------------------

/** Loads one library's encoder the way production code would: only the requested encoding. */
async function loadCounter(lib, encoding) {
  if (lib === 'gpt-tokenizer') {
    const m = await import(`gpt-tokenizer/encoding/${encoding}`);
    // User text may contain "<|endoftext|>"; the API counts it as plain text, so must we.
    const opts = { disallowedSpecial: new Set() };
    return {
      count: (t) => m.countTokens(t, opts),
      encode: (t) => m.encode(t, opts),
      clearCache: () => m.clearMergeCache(),
    };
  }
  const { Tiktoken } = await import('js-tiktoken/lite');
  const ranks = (await import(`js-tiktoken/ranks/${encoding}`)).default;
  const enc = new Tiktoken(ranks);
  return {
    count: (t) => enc.encode(t, [], []).length,
    encode: (t) => enc.encode(t, [], []),
    clearCache: () => {},
  };
}

function gcNow() {
  if (typeof globalThis.gc !== 'function') throw new Error('run children with --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function childLoad(lib, encoding) {
  const text = mixedText();
  gcNow();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const counter = await loadCounter(lib, encoding);
  const importMs = performance.now() - t0;
  const t1 = performance.now();
  counter.count('hello world');
  const firstCountMs = performance.now() - t1;
  const tokens = counter.count(text);
  gcNow();
  const after = process.memoryUsage();
  return {
    importMs,
    firstCountMs,
    tokens,
    rssDeltaMb: (after.rss - before.rss) / 2 ** 20,
    heapDeltaMb: (after.heapUsed - before.heapUsed) / 2 ** 20,
  };
}

async function childSpeed(lib, encoding, mode) {
  const text = mixedText();
  const counter = await loadCounter(lib, encoding);
  let tokens = 0;
  for (let i = 0; i < WARMUP_RUNS; i++) tokens = counter.count(text);
  const times = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    if (mode === 'cold') counter.clearCache();
    const t0 = performance.now();
    counter.count(text);
    times.push(performance.now() - t0);
  }
  return { tokens, chars: text.length, times, medianMs: median(times) };
}

/**
 * Byte-level BPE exactly as tiktoken defines it (split with the encoding's pattern, then merge
 * the adjacent pair of lowest rank until none is in the table). Slow, but independent of both
 * libraries' encoder code: it only shares the published rank table and pattern.
 */
function referenceBpe(ranksFile) {
  const rankOf = new Map();
  for (const line of ranksFile.bpe_ranks.split('\n')) {
    const [, offset, ...tokens] = line.split(' ');
    tokens.forEach((b64, i) => rankOf.set(Buffer.from(b64, 'base64').toString('latin1'), Number(offset) + i));
  }
  const pattern = new RegExp(ranksFile.pat_str, 'gu');
  const encodePiece = (bytes) => {
    let parts = [...bytes];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const r = rankOf.get(parts[i] + parts[i + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), parts[best] + parts[best + 1], ...parts.slice(best + 2)];
    }
    return parts.map((p) => rankOf.get(p));
  };
  return (text) => {
    const out = [];
    for (const [piece] of text.matchAll(pattern)) {
      const bytes = Buffer.from(piece, 'utf8').toString('latin1');
      const whole = rankOf.get(bytes);
      if (whole !== undefined) out.push(whole);
      else out.push(...encodePiece(bytes));
    }
    return out;
  };
}

const sameTokens = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function childParity(encoding) {
  const counters = {};
  for (const lib of LIBS) counters[lib] = await loadCounter(lib, encoding);
  const ranksFile = (await import(`js-tiktoken/ranks/${encoding}`)).default;
  const reference = referenceBpe(ranksFile);

  const perSample = samples.map(({ id, kind, text }) => {
    const ref = reference(text);
    const row = { id, kind, chars: text.length, codePoints: [...text].length, reference: ref.length };
    for (const lib of LIBS) {
      const toks = counters[lib].encode(text);
      row[lib] = { count: counters[lib].count(text), sameTokensAsReference: sameTokens(toks, ref) };
    }
    return row;
  });

  const text = mixedText();
  const mixed = { reference: reference(text).length };
  for (const lib of LIBS) mixed[lib] = counters[lib].count(text);

  // Every vocabulary entry that is valid UTF-8, encoded on its own: catches tokens a library
  // cannot produce (e.g. ones lost when rank bytes were decoded to strings).
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const vocabulary = { entries: 0, checked: 0, mismatches: {} };
  for (const lib of LIBS) vocabulary.mismatches[lib] = [];
  for (const line of ranksFile.bpe_ranks.split('\n')) {
    const [, , ...tokens] = line.split(' ');
    for (const b64 of tokens) {
      vocabulary.entries++;
      let s;
      try {
        s = fatal.decode(Buffer.from(b64, 'base64'));
      } catch {
        continue;
      }
      vocabulary.checked++;
      const outs = LIBS.map((lib) => counters[lib].encode(s));
      if (sameTokens(outs[0], outs[1])) continue;
      const ref = reference(s);
      LIBS.forEach((lib, i) => {
        if (!sameTokens(outs[i], ref))
          vocabulary.mismatches[lib].push({ text: s, got: outs[i], reference: ref });
      });
    }
  }
  return { perSample, mixed, vocabulary };
}

async function runChild([task, ...args]) {
  switch (task) {
    case 'load':
      return childLoad(args[0], args[1]);
    case 'speed':
      return childSpeed(args[0], args[1], args[2]);
    case 'parity':
      return childParity(args[0]);
    default:
      throw new Error(`unknown child task ${task}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------------

const canPin = existsSync('/usr/bin/taskset') && os.cpus().length > 1;

function spawnChild(args) {
  const nodeArgs = ['--expose-gc', fileURLToPath(import.meta.url), '--child', ...args];
  const [cmd, argv] = canPin
    ? ['taskset', ['-c', PIN_CPU, process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const r = spawnSync(cmd, argv, {
    cwd: root,
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0)
    throw new Error(`child ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const fmt = (n, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
/** Version of an installed package (js-tiktoken does not export its package.json). */
function pkgVersion(name) {
  let dir = path.dirname(fileURLToPath(import.meta.resolve(name)));
  while (dir !== path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === name && pkg.version) return pkg.version;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the package.json of ${name}`);
}

function measure() {
  const load = {};
  for (let run = 0; run < LOAD_RUNS; run++) {
    // Interleaved so drift in machine load spreads over every library.
    for (const encoding of ENCODINGS) {
      for (const lib of LIBS) {
        const key = `${lib}|${encoding}`;
        (load[key] ??= []).push(spawnChild(['load', lib, encoding]));
        process.stdout.write('.');
      }
    }
  }
  const speed = {};
  for (let round = 0; round < SPEED_ROUNDS; round++) {
    for (const encoding of ENCODINGS) {
      for (const lib of LIBS) {
        for (const mode of lib === 'gpt-tokenizer' ? ['warm', 'cold'] : ['warm']) {
          (speed[`${lib}|${encoding}|${mode}`] ??= []).push(spawnChild(['speed', lib, encoding, mode]));
          process.stdout.write('.');
        }
      }
    }
  }
  const parity = {};
  for (const encoding of ENCODINGS) {
    parity[encoding] = spawnChild(['parity', encoding]);
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  return { load, speed, parity };
}

function summarise({ load, speed, parity }) {
  const rows = [];
  for (const encoding of ENCODINGS) {
    for (const lib of LIBS) {
      const l = load[`${lib}|${encoding}`];
      const best = (rounds) =>
        rounds === undefined ? undefined : rounds.reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
      const s = best(speed[`${lib}|${encoding}|warm`]);
      const cold = best(speed[`${lib}|${encoding}|cold`]);
      const p = parity[encoding];
      rows.push({
        lib,
        encoding,
        importMs: median(l.map((x) => x.importMs)),
        importRunsMs: l.map((x) => Number(x.importMs.toFixed(1))),
        firstCountMs: median(l.map((x) => x.firstCountMs)),
        rssDeltaMb: median(l.map((x) => x.rssDeltaMb)),
        heapDeltaMb: median(l.map((x) => x.heapDeltaMb)),
        countMedianMs: s.medianMs,
        countRoundMediansMs: speed[`${lib}|${encoding}|warm`].map((r) => Number(r.medianMs.toFixed(2))),
        countColdCacheMedianMs: cold?.medianMs ?? null,
        tokensPerSecond: s.tokens / (s.medianMs / 1000),
        mixedTextTokens: s.tokens,
        samplesMatchingReference: p.perSample.filter((r) => r[lib].sameTokensAsReference).length,
        vocabularyMismatches: p.vocabulary.mismatches[lib].length,
      });
    }
  }
  return rows;
}

/**
 * Per library: does it ever count fewer tokens than the reference (the harmful direction for a
 * gateway that checks context windows and budgets before calling upstream), and how far off is it.
 */
function correctness(lib, parity) {
  let exact = true;
  let underCounts = 0;
  let maxExtraTokens = 0;
  const cases = [];
  for (const encoding of ENCODINGS) {
    for (const r of parity[encoding].perSample) {
      if (r[lib].sameTokensAsReference) continue;
      exact = false;
      const extra = r[lib].count - r.reference;
      if (extra < 0) underCounts++;
      maxExtraTokens = Math.max(maxExtraTokens, extra);
      cases.push(`${encoding} sample ${r.id}: ${extra >= 0 ? '+' : ''}${extra}`);
    }
    for (const m of parity[encoding].vocabulary.mismatches[lib]) {
      exact = false;
      const extra = m.got.length - m.reference.length;
      if (extra < 0) underCounts++;
      maxExtraTokens = Math.max(maxExtraTokens, extra);
    }
  }
  return { exact, underCounts, maxExtraTokens, cases };
}

/**
 * A library that ever under-counts is out. Among the rest, counting speed decides: counting runs
 * on the request path (context-window checks, history trimming), while the load is paid once.
 */
function choose(rows, parity) {
  const byLib = Object.fromEntries(
    LIBS.map((lib) => {
      const mine = rows.filter((r) => r.lib === lib);
      const mean = (key) => mine.reduce((s, r) => s + r[key], 0) / mine.length;
      return [
        lib,
        {
          ...correctness(lib, parity),
          readyMs: mine.reduce((s, r) => s + r.importMs + r.firstCountMs, 0) / mine.length,
          countMs: mean('countMedianMs'),
          rssMb: mean('rssDeltaMb'),
        },
      ];
    }),
  );
  const safe = LIBS.filter((lib) => byLib[lib].underCounts === 0);
  const pool = safe.length > 0 ? safe : LIBS;
  const choice = [...pool].sort((a, b) => byLib[a].countMs - byLib[b].countMs)[0];
  return { choice, byLib };
}

function calibrate(parity) {
  const calibration = samples.map((s, i) => ({ ...s, o200k: parity.o200k_base.perSample[i].reference }));
  const fit = fitEstimate(calibration);
  const evaluate = (text, actual) => {
    const est = estimateTokens(text, fit.params);
    return {
      actual,
      estimate: est,
      ratio: actual === 0 ? 1 : est / actual,
      charsOver4: Math.ceil(text.length / 4),
    };
  };
  const perSample = calibration.map((c) => ({ id: c.id, kind: c.kind, ...evaluate(c.text, c.o200k) }));
  const heldOut = {
    id: 'mixed ~10k-token text (held out)',
    kind: 'mixed',
    ...evaluate(mixedText(), parity.o200k_base.mixed.reference),
  };
  const stats = (rs) => {
    const ratios = rs.map((r) => r.ratio);
    return {
      samples: rs.length,
      minRatio: Math.min(...ratios),
      maxRatio: Math.max(...ratios),
      meanRatio: ratios.reduce((a, b) => a + b, 0) / ratios.length,
      totalRatio: rs.reduce((a, r) => a + r.estimate, 0) / rs.reduce((a, r) => a + r.actual, 0),
      charsOver4MinRatio: Math.min(...rs.map((r) => r.charsOver4 / r.actual)),
      charsOver4MaxRatio: Math.max(...rs.map((r) => r.charsOver4 / r.actual)),
    };
  };
  const counted = perSample.filter((r) => r.actual > 0);
  return {
    params: fit.params,
    grid: ESTIMATE_GRID,
    underCountMargin: UNDER_COUNT_MARGIN,
    perSample,
    heldOut,
    ordinary: stats(counted.filter((r) => !(r.kind in UNDER_COUNT_MARGIN))),
    marginKinds: stats(counted.filter((r) => r.kind in UNDER_COUNT_MARGIN)),
    all: stats(counted),
  };
}

/** The constants hard-coded in token-estimate.ts, to flag a refit that was not copied over. */
function shippedEstimateParams() {
  const file = path.join(root, 'src/llm/tokens/token-estimate.ts');
  if (!existsSync(file)) return null;
  const block = /ESTIMATE_PARAMS = \{([\s\S]*?)\} as const/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
  return Object.fromEntries([...block.matchAll(/^\s*(\w+): ([\d.]+),/gm)].map(([, k, v]) => [k, Number(v)]));
}

function markdown(meta, rows, decision, parity, calib) {
  const L = [];
  L.push('# Tokenizer benchmark: gpt-tokenizer vs js-tiktoken', '');
  L.push(
    `${meta.date} · Node ${meta.node} · ${meta.cpus} · gpt-tokenizer ${meta.versions['gpt-tokenizer']}, js-tiktoken ${meta.versions['js-tiktoken']} · load average before/after: ${meta.loadBefore} / ${meta.loadAfter}`,
    '',
  );
  L.push(
    `Each figure comes from a fresh \`node --expose-gc\` child${canPin ? ` pinned to CPU ${PIN_CPU}` : ''}. Load = \`import()\` of one encoding (gpt-tokenizer: \`gpt-tokenizer/encoding/<enc>\`; js-tiktoken: \`js-tiktoken/lite\` + \`js-tiktoken/ranks/<enc>\` + \`new Tiktoken(ranks)\`), median of ${LOAD_RUNS} children; first count = counting "hello world" right after. Memory = RSS and heap growth from before the import to after counting the mixed text (after GC). Count = one mixed English/code/JSON/unicode text of ${fmt(meta.mixedChars, 0)} characters, median of ${TIMED_RUNS} runs after ${WARMUP_RUNS} warm-up runs, lower of ${SPEED_ROUNDS} interleaved rounds (each round a fresh child); gpt-tokenizer keeps a merge cache, so it is also timed with the cache cleared before every run ("cold"). Special tokens such as \`<|endoftext|>\` are counted as plain text in both, as the API does.`,
    '',
  );
  if (Number(meta.loadBefore.split(' ')[0]) > meta.cpuCount) {
    L.push(
      `The load average exceeded the ${meta.cpuCount} CPUs: other work shared the machine, so absolute times are inflated and vary between reruns; compare libraries by their ratios.`,
      '',
    );
  }
  L.push(
    '| library | encoding | load (ms) | load runs (ms) | first count (ms) | RSS Δ (MB) | heap Δ (MB) | count ~10k tok (ms) | round medians (ms) | cold-cache count (ms) | tokens/s | tokens | samples = reference | vocabulary mismatches |',
  );
  L.push('|---|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    L.push(
      `| ${r.lib} | ${r.encoding} | ${fmt(r.importMs)} | ${r.importRunsMs.join(', ')} | ${fmt(r.firstCountMs, 2)} | ${fmt(r.rssDeltaMb)} | ${fmt(r.heapDeltaMb)} | ${fmt(r.countMedianMs, 2)} | ${r.countRoundMediansMs.join(', ')} | ${r.countColdCacheMedianMs === null ? '—' : fmt(r.countColdCacheMedianMs, 2)} | ${fmt(r.tokensPerSecond, 0)} | ${fmt(r.mixedTextTokens, 0)} | ${r.samplesMatchingReference}/${samples.length} | ${r.vocabularyMismatches} |`,
    );
  }
  L.push('');
  L.push(
    '"samples = reference": token ids identical to a naive byte-level BPE over the published rank table and split pattern (`referenceBpe` in `compare.mjs`), on the 20 samples in `bench/tokenizer/samples.json`. "vocabulary mismatches": every vocabulary entry that is valid UTF-8, encoded on its own, where the library disagrees with that reference.',
    '',
  );
  for (const encoding of ENCODINGS) {
    const diffs = parity[encoding].perSample.filter((r) => LIBS.some((lib) => !r[lib].sameTokensAsReference));
    for (const d of diffs) {
      L.push(
        `- ${encoding}, sample \`${d.id}\`: reference ${d.reference} tokens; ${LIBS.map((lib) => `${lib} ${d[lib].count}`).join(', ')}.`,
      );
    }
    for (const lib of LIBS) {
      const m = parity[encoding].vocabulary.mismatches[lib];
      if (m.length > 0) {
        const shown = m
          .slice(0, 4)
          .map((x) => `${JSON.stringify(x.text)} → [${x.got}] (reference [${x.reference}])`);
        L.push(
          `- ${encoding}, ${lib}: ${m.length} of ${parity[encoding].vocabulary.checked} vocabulary entries differ, e.g. ${shown.join('; ')}.`,
        );
      }
    }
  }
  L.push('');
  const { choice, byLib } = decision;
  const other = LIBS.find((l) => l !== choice);
  const c = byLib[choice];
  const o = byLib[other];
  L.push(`**Choice: \`${choice}@${meta.versions[choice]}\`.**`, '');
  const why = [];
  why.push(
    `Counting runs on the request path (context-window checks before calling upstream, trimming history to a budget), so counting speed decides among libraries that never under-count: ${choice} counts the ~10k-token text in ${fmt(c.countMs, 2)} ms against ${fmt(o.countMs, 2)} ms for ${other} (mean over both encodings, ${fmt(o.countMs / c.countMs, 1)}x faster${rows.some((r) => r.lib === choice && r.countColdCacheMedianMs !== null) ? `; still ${fmt(o.countMs / (rows.filter((r) => r.lib === choice).reduce((a, r) => a + (r.countColdCacheMedianMs ?? r.countMedianMs), 0) / ENCODINGS.length), 1)}x with its merge cache cleared before every run` : ''}).`,
    `It also loads faster (load + first count ${fmt(c.readyMs)} ms against ${fmt(o.readyMs)} ms) and grows RSS less (${fmt(c.rssMb)} MB against ${fmt(o.rssMb)} MB); either way the counter loads an encoding lazily, once, on first use.`,
  );
  if (c.exact) {
    why.push(`${choice} matches the reference on every sample and every vocabulary entry.`);
  } else {
    why.push(
      `It is not exact: it never produces the vocabulary entries that contain U+FEFF (byte order mark; its rank table stores them as raw bytes, not strings), so text containing U+FEFF costs it extra tokens (${c.cases.join('; ')}; at most +${c.maxExtraTokens} on any checked string) and ${c.underCounts === 0 ? 'never fewer' : `${c.underCounts} times fewer`}. That errs on the safe side and only touches text with a BOM.`,
    );
  }
  if (!o.exact)
    why.push(
      `${other}: ${o.underCounts === 0 ? 'never under-counts' : `${o.underCounts} under-count(s)`}, max +${o.maxExtraTokens}.`,
    );
  else why.push(`${other} is exact on every sample and vocabulary entry, but pays for it on every count.`);
  L.push(why.join(' '), '');

  L.push('## Token estimate for models without a local tokenizer', '');
  const p = calib.params;
  L.push(
    `Anthropic and Ollama models have no tokenizer in JavaScript, so their counts are estimated from character classes (\`estimate.mjs\`, implemented again in \`src/llm/tokens/token-estimate.ts\`): a run of ASCII letters (split at a lower→upper case change) costs 1 token up to ${p.wordLetters} letters plus 1 per further ${p.letters}; runs of ASCII digits ⌈len/${p.digits}⌉; runs of other ASCII symbols ⌈len/${p.symbols}⌉; runs of ASCII whitespace ⌈len/${p.whitespace}⌉ (one space before a non-space is free); each non-ASCII code point below U+2000 (accented Latin, combining marks, Greek, Cyrillic, Hebrew, Arabic, Indic, Thai) ${p.latin}; each symbol, arrow, math sign, variation selector or emoji code point ${p.emoji}; each other code point (CJK, kana, Hangul) ${p.cjk}; the sum rounded up.`,
    '',
    `The constants are the point of a grid (${Object.entries(calib.grid)
      .map(([k, v]) => `${k} ${v[0]}–${v.at(-1)}`)
      .join(
        ', ',
      )}) with the smallest mean estimate/o200k ratio over the 20 samples, subject to: never below the exact o200k_base count, except samples of kind ${Object.entries(
      calib.underCountMargin,
    )
      .map(([k, m]) => `\`${k}\` (at most ${m * 100}% below)`)
      .join(
        ' and ',
      )}: base64, JWTs, hashes and Zalgo tokenize so densely that covering them would inflate the estimate for all ordinary text.`,
    '',
  );
  const shipped = shippedEstimateParams();
  const inStep = shipped !== null && Object.entries(p).every(([k, v]) => shipped[k] === v);
  L.push(
    inStep
      ? 'These are the constants in `src/llm/tokens/token-estimate.ts`.'
      : `**The constants in \`src/llm/tokens/token-estimate.ts\` differ (${JSON.stringify(shipped)}): copy the fitted ones over and update its comment.**`,
    '',
  );
  L.push(
    '| sample | kind | o200k tokens | estimate | estimate / o200k | ⌈chars/4⌉ / o200k |',
    '|---|---|---:|---:|---:|---:|',
  );
  for (const r of [...calib.perSample, calib.heldOut]) {
    L.push(
      `| ${r.id} | ${r.kind} | ${r.actual} | ${r.estimate} | ${fmt(r.ratio, 2)} | ${r.actual === 0 ? '—' : fmt(r.charsOver4 / r.actual, 2)} |`,
    );
  }
  const s = calib.ordinary;
  const m = calib.marginKinds;
  L.push('');
  L.push(
    `Measured: on the ${s.samples} ordinary samples the estimate is ${fmt(s.minRatio, 2)}–${fmt(s.maxRatio, 2)}x the o200k count (mean ${fmt(s.meanRatio, 2)}x, ${fmt(s.totalRatio, 2)}x over their tokens), never below; on the ${m.samples} opaque/adversarial samples ${fmt(m.minRatio, 2)}–${fmt(m.maxRatio, 2)}x. On the held-out mixed text (not used for fitting) it is ${fmt(calib.heldOut.ratio, 2)}x. Plain ⌈chars/4⌉ ranges ${fmt(calib.all.charsOver4MinRatio, 2)}–${fmt(calib.all.charsOver4MaxRatio, 2)}x: it under-counts code, JSON, logs, CJK and emoji badly.`,
    '',
    `Caveat: Claude's tokenizer and the 32k-vocabulary tokenizers of some open models (Mistral) produce more tokens than o200k for the same text; the estimate's headroom over o200k on ordinary text (${fmt(s.minRatio, 2)}–${fmt(s.maxRatio, 2)}x) is the only margin for them, so context checks for estimated models should keep a safety margin of their own.`,
    '',
  );
  L.push(
    'Rerun: `node bench/tokenizer/compare.mjs` (raw numbers in `tokenizer.json`); js-tiktoken is not a dependency, so install it first with `npm install --no-save js-tiktoken`.',
    '',
  );
  return L.join('\n');
}

async function main() {
  if (process.argv[2] === '--child') {
    const result = await runChild(process.argv.slice(3));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  for (const lib of LIBS) {
    try {
      import.meta.resolve(lib);
    } catch {
      console.error(`${lib} is not installed; for this comparison only: npm install --no-save ${lib}`);
      process.exit(1);
    }
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpuCount: os.cpus().length,
    cpus: `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'})`,
    versions: Object.fromEntries(LIBS.map((l) => [l, pkgVersion(l)])),
    loadBefore: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    mixedChars: mixedText().length,
    pinnedCpu: canPin ? PIN_CPU : null,
  };
  const raw = measure();
  meta.loadAfter = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const rows = summarise(raw);
  const decision = choose(rows, raw.parity);
  const calib = calibrate(raw.parity);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    path.join(resultsDir, 'tokenizer.json'),
    `${JSON.stringify({ meta, rows, decision, calibration: { ...calib, perSample: calib.perSample }, raw: { load: raw.load, speed: raw.speed, parity: raw.parity } }, null, 2)}\n`,
  );
  const md = markdown(meta, rows, decision, raw.parity, calib);
  writeFileSync(path.join(resultsDir, 'tokenizer.md'), md);
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

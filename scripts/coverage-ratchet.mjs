// Raises the coverage thresholds after a run, never lowers them.
// Usage: npm test, then `npm run coverage:ratchet` (reads coverage/coverage-summary.json and rewrites
// test/coverage-thresholds.json). Each threshold becomes the measured figure minus MARGIN points,
// rounded down to one decimal, when that is higher than the current threshold. The margin absorbs the
// few branches that timing decides (a retry that fires or not) so that a rerun of the same code passes.
// Options: --summary <file>, --thresholds <file> (defaults above), --check (report only, write nothing).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MARGIN = 0.5;
const METRICS = ['lines', 'statements', 'functions', 'branches'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : fallback;
};
const summaryFile = option('--summary', path.join(root, 'coverage/coverage-summary.json'));
const thresholdsFile = option('--thresholds', path.join(root, 'test/coverage-thresholds.json'));
const checkOnly = args.includes('--check');

let total;
try {
  total = JSON.parse(readFileSync(summaryFile, 'utf8')).total;
} catch (err) {
  console.error(`cannot read ${summaryFile} (${err.message}): run \`npm test\` first`);
  process.exit(2);
}
const current = JSON.parse(readFileSync(thresholdsFile, 'utf8'));
const next = { ...current };
for (const metric of METRICS) {
  const measured = Number(total?.[metric]?.pct);
  if (!Number.isFinite(measured)) {
    console.error(`${summaryFile} has no total ${metric} percentage`);
    process.exit(2);
  }
  const candidate = Math.floor((measured - MARGIN) * 10) / 10;
  const was = Number(current[metric] ?? 0);
  if (candidate > was) next[metric] = candidate;
  const note = next[metric] === was ? 'kept' : `raised from ${was}`;
  console.log(
    `${metric.padEnd(10)} measured ${measured.toFixed(2)} %  threshold ${next[metric]} % (${note})`,
  );
}
const changed = METRICS.some((m) => next[m] !== current[m]);
if (changed && !checkOnly) {
  writeFileSync(thresholdsFile, `${JSON.stringify(next, null, 2)}\n`);
  console.log(`written: ${path.relative(process.cwd(), thresholdsFile)}`);
} else {
  console.log(changed ? 'thresholds would rise (--check: nothing written)' : 'thresholds unchanged');
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Coverage thresholds only go up: no commit lowered one, the working copy does not either, the
 * ratchet script raises and never lowers, and the README states the figures in force.
 */
const ROOT = resolve(__dirname, '../..');
const FILE = 'test/coverage-thresholds.json';
const METRICS = ['lines', 'statements', 'functions', 'branches'] as const;
type Thresholds = Record<(typeof METRICS)[number], number>;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
}

function parse(text: string): Thresholds {
  return JSON.parse(text) as Thresholds;
}

function lowered(older: Thresholds, newer: Thresholds): string[] {
  return METRICS.filter((m) => newer[m] < older[m]).map((m) => `${m} ${older[m]} → ${newer[m]}`);
}

describe('coverage thresholds', () => {
  const working = parse(readFileSync(join(ROOT, FILE), 'utf8'));

  it('name the four global metrics with percentages', () => {
    expect(Object.keys(working).sort()).toEqual([...METRICS].sort());
    for (const m of METRICS) {
      expect(working[m]).toBeGreaterThan(0);
      expect(working[m]).toBeLessThanOrEqual(100);
    }
  });

  it('were never lowered by a commit, nor by the working copy', () => {
    // Oldest first; every version of the file that git history holds, then the working copy.
    const commits = git('log', '--format=%H', '--reverse', '--', FILE).split('\n').filter(Boolean);
    const versions = commits.map((c) => ({ at: c.slice(0, 7), t: parse(git('show', `${c}:${FILE}`)) }));
    versions.push({ at: 'working copy', t: working });
    const problems: string[] = [];
    for (let i = 1; i < versions.length; i++) {
      const [before, after] = [versions[i - 1], versions[i]];
      if (!before || !after) continue;
      const down = lowered(before.t, after.t);
      if (down.length) problems.push(`${after.at} lowered ${down.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('are stated in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const stated =
      `thresholds: lines ${working.lines} %, statements ${working.statements} %, ` +
      `functions ${working.functions} %, branches ${working.branches} %`;
    const found = readme.replace(/\s+/g, ' ').includes(stated);
    expect(found ? stated : `README.md does not say "${stated}"`).toBe(stated);
  });

  describe('scripts/coverage-ratchet.mjs', () => {
    let dir = '';
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'ratchet-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const run = (summary: Thresholds, current: Thresholds, ...extra: string[]): Thresholds => {
      const total = Object.fromEntries(METRICS.map((m) => [m, { pct: summary[m] }]));
      writeFileSync(join(dir, 'summary.json'), JSON.stringify({ total }));
      writeFileSync(join(dir, 'thresholds.json'), JSON.stringify(current));
      execFileSync(
        process.execPath,
        [
          join(ROOT, 'scripts/coverage-ratchet.mjs'),
          '--summary',
          join(dir, 'summary.json'),
          '--thresholds',
          join(dir, 'thresholds.json'),
          ...extra,
        ],
        { encoding: 'utf8' },
      );
      return parse(readFileSync(join(dir, 'thresholds.json'), 'utf8'));
    };

    it('raises a threshold to the measured figure less half a point, and never lowers one', () => {
      const next = run(
        { lines: 97.26, statements: 80, functions: 93.2, branches: 88.04 },
        { lines: 95, statements: 92.8, functions: 92.7, branches: 85 },
      );
      expect(next).toEqual({ lines: 96.7, statements: 92.8, functions: 92.7, branches: 87.5 });
    });

    it('writes nothing with --check', () => {
      const current = { lines: 50, statements: 50, functions: 50, branches: 50 };
      expect(run({ lines: 90, statements: 90, functions: 90, branches: 90 }, current, '--check')).toEqual(
        current,
      );
    });
  });
});

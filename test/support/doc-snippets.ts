import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runnable code blocks in the Markdown under docs/ (the convention is described in docs/README.md):
 *
 * - A fenced block whose info string has the word `doc-test` after its language is runnable:
 *   ```` ```sh doc-test ````, ```` ```js doc-test ````, ```` ```ts doc-test ````, ```` ```yaml doc-test ````.
 * - The fenced block right after it, when its info string has the word `output`
 *   (```` ```text output ````), is what the snippet prints: every non-blank line of it must appear
 *   in the snippet's output, in order (other output lines may come between), where `…` stands for
 *   any run of characters. Runnable blocks other than YAML must have one.
 * - Further words are flags: `browser` (a JS snippet written for a browser: `WebSocket` is provided
 *   by the `ws` package), `gateway` (the YAML block the test gateway boots with as `GATEWAY_CONFIG`).
 */
export interface DocBlock {
  /** docs-relative file name, e.g. `getting-started.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  flags: string[];
  code: string;
  /** Expected output lines (blank lines dropped), when an output block follows. */
  expected?: string[];
}

interface Fence {
  line: number;
  info: string[];
  code: string;
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent, marker, info] = open as unknown as [string, string, string, string];
    // CommonMark: a backtick fence's info string has no backticks (else it is inline code).
    if (marker.startsWith('`') && info.includes('`')) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.trim().startsWith(marker) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(indent.length > 0 && l.startsWith(indent) ? l.slice(indent.length) : l);
    }
    out.push({ line: i + 1, info: info.trim().split(/\s+/).filter(Boolean), code: body.join('\n') });
    i = j;
  }
  return out;
}

export function docBlocks(file: string, markdown: string): DocBlock[] {
  const all = fences(markdown);
  const blocks: DocBlock[] = [];
  all.forEach((f, i) => {
    const [lang = '', ...rest] = f.info;
    if (!rest.includes('doc-test')) return;
    const next = all[i + 1];
    const expected = next?.info.includes('output')
      ? next.code.split('\n').filter((l) => l.trim().length > 0)
      : undefined;
    blocks.push({
      file,
      line: f.line,
      lang,
      flags: rest.filter((w) => w !== 'doc-test'),
      code: f.code,
      expected,
    });
  });
  return blocks;
}

/** Every runnable block of every `*.md` in `dir`, files in name order. */
export function docBlocksIn(dir: string): DocBlock[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((f) => docBlocks(f, readFileSync(join(dir, f), 'utf8')));
}

function linePattern(expected: string): RegExp {
  const parts = expected
    .trim()
    .split('…')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

/**
 * Checks that each expected line matches an output line (trimmed, `…` = anything), in order.
 * Returns the first expected line that could not be found, or undefined.
 */
export function missingOutputLine(expected: readonly string[], output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  let at = 0;
  for (const e of expected) {
    const pattern = linePattern(e);
    const found = lines.findIndex((l, i) => i >= at && pattern.test(l));
    if (found < 0) return e;
    at = found + 1;
  }
  return undefined;
}

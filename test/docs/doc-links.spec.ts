import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Relative links in docs/*.md must point at files that exist, and `#anchors` at headings that exist
 * (GitHub's slugs: lowercase, punctuation dropped, spaces to hyphens).
 */
const ROOT = resolve(__dirname, '../..');
const DOCS = join(ROOT, 'docs');

function withoutFences(markdown: string): string {
  return markdown.replace(/^([ \t]*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?\n\1\2[ \t]*$/gm, '');
}

function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(readFileSync(file, 'utf8')).split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  from: string;
  target: string;
}

function linksIn(file: string): Link[] {
  const text = withoutCode(readFileSync(join(DOCS, file), 'utf8'));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((t) => !/^[a-z]+:/i.test(t))
    .map((target) => ({ from: file, target }));
}

describe('links in docs/', () => {
  const files = readdirSync(DOCS).filter((f) => f.endsWith('.md'));
  const links = files.flatMap(linksIn);

  it('finds links to check', () => {
    expect(links.length).toBeGreaterThan(20);
  });

  it('point at files and headings that exist', () => {
    const broken: string[] = [];
    for (const { from, target } of links) {
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(DOCS, from) : resolve(dirname(join(DOCS, from)), path);
      if (!existsSync(file)) {
        broken.push(`docs/${from}: ${target} (no such file)`);
        continue;
      }
      if (anchor && statSync(file).isFile() && file.endsWith('.md') && !anchorsOf(file).has(anchor)) {
        broken.push(`docs/${from}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});

import type { TextSection } from './ingest.types.js';
import { stripInlineMarkdown } from './markdown-inline.js';

/** Sections before cleaning, as a format reader produces them. */
export interface RawDocument {
  title?: string;
  sections: TextSection[];
}

interface Heading {
  level: number;
  text: string;
}

interface Fence {
  char: string;
  length: number;
}

// eslint-disable-next-line security/detect-unsafe-regex -- one line at a time; flat on 20k-character adversarial lines
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
// eslint-disable-next-line security/detect-unsafe-regex -- one line at a time; flat on 20k-character adversarial lines
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
/** Tested on a trimmed line: leading `\s*` next to `\|?\s*` would backtrack quadratically on long blank runs. */
// eslint-disable-next-line security/detect-unsafe-regex -- tested on a trimmed line; flat on 200k-character adversarial lines
const TABLE_DELIMITER_ROW = /^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?$/;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*\S+.*$/;
// A line that a following `---` cannot turn into a heading: list items, quotes, table rows.
const NOT_SETEXT_CONTENT = /^\s*(?:[-*+>|]|\d+[.)])(?:\s|$)/;

/**
 * Reads Markdown into sections split at ATX and setext headings, each under the path of its
 * enclosing headings. Fenced code is kept line for line (a `#` there is code, not a heading);
 * link, image and emphasis syntax is reduced to its text.
 */
export function parseMarkdown(markdown: string): RawDocument {
  const reader = new MarkdownReader();
  const lines = markdown.split(/\r\n?|\n/);
  for (let i = skipFrontMatter(lines); i < lines.length; i++) reader.line(lines[i]);
  return reader.finish();
}

class MarkdownReader {
  private readonly sections: TextSection[] = [];
  private readonly stack: Heading[] = [];
  private title?: string;
  private lines: string[] = [];
  /** Index in `lines` where the current paragraph began; -1 after a blank line or a block. */
  private paragraphStart = -1;
  private fence?: Fence;

  line(line: string): void {
    if (this.fence !== undefined) return this.fenced(line);
    const fence = FENCE_OPEN.exec(line);
    if (fence !== null && !(fence[1][0] === '`' && fence[2].includes('`'))) {
      this.fence = { char: fence[1][0], length: fence[1].length };
      return this.block(line);
    }
    const atx = ATX_HEADING.exec(line);
    if (atx !== null) return this.heading(atx[1].length, stripInlineMarkdown((atx[2] ?? '').trim()));
    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline !== null && this.paragraphStart >= 0) {
      // The paragraph's lines were stripped of inline syntax when they were read.
      const text = this.lines.splice(this.paragraphStart).join(' ').trim();
      return this.heading(underline[1][0] === '=' ? 1 : 2, text);
    }
    if (line.trim() === '' || THEMATIC_BREAK.test(line)) return this.blank();
    // Markup-only lines: dropped without breaking the table or paragraph around them.
    if (LINK_DEFINITION.test(line) || TABLE_DELIMITER_ROW.test(line.trim())) return;
    this.text(line);
  }

  finish(): RawDocument {
    this.flush();
    return { title: this.title, sections: this.sections };
  }

  private fenced(line: string): void {
    const fence = this.fence;
    const close = /^ {0,3}(`+|~+)[ \t]*$/.exec(line);
    if (
      fence !== undefined &&
      close !== null &&
      close[1][0] === fence.char &&
      close[1].length >= fence.length
    ) {
      this.fence = undefined;
    }
    this.block(line);
  }

  private heading(level: number, text: string): void {
    this.flush();
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].level >= level) this.stack.pop();
    this.stack.push({ level, text });
    if (level === 1 && this.title === undefined && text !== '') this.title = text;
  }

  /** A line kept verbatim that cannot start or continue a setext heading. */
  private block(line: string): void {
    this.lines.push(line);
    this.paragraphStart = -1;
  }

  private text(line: string): void {
    const content = stripInlineMarkdown(line.replace(/^ {0,3}>[ \t]?/, ''));
    if (NOT_SETEXT_CONTENT.test(line)) this.paragraphStart = -1;
    else if (this.paragraphStart < 0) this.paragraphStart = this.lines.length;
    this.lines.push(content);
  }

  private blank(): void {
    this.lines.push('');
    this.paragraphStart = -1;
  }

  private flush(): void {
    const text = this.lines.join('\n');
    if (text.trim() !== '') {
      this.sections.push({ headingPath: this.stack.map((h) => h.text).filter((t) => t !== ''), text });
    }
    this.lines = [];
    this.paragraphStart = -1;
  }
}

// YAML front matter (`---` … `---` on the first lines) is metadata, and its closing `---` would
// otherwise read as a setext underline.
function skipFrontMatter(lines: readonly string[]): number {
  if (lines[0]?.trim() !== '---') return 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '---' || line === '...') return i + 1;
  }
  return 0;
}

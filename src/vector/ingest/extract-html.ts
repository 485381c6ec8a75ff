import { Parser } from 'htmlparser2';
import type { RawDocument } from './extract-markdown.js';
import type { TextSection } from './ingest.types.js';

// Never visible text. <head> is handled apart so its <title> can be read.
const DROPPED = new Set('script style noscript template svg math iframe object canvas'.split(' '));
// What may appear in <head>; anything else there means the author forgot to open <body>.
const HEAD_CONTENT = new Set(['title', 'meta', 'link', 'base', 'style', 'script', 'noscript', 'template']);
const PARAGRAPH_BLOCKS = new Set([
  ...'p div section article main header footer aside nav blockquote pre'.split(' '),
  ...'table ul ol dl figure figcaption form fieldset details address hr body'.split(' '),
]);
const LINE_BLOCKS = new Set(['li', 'tr', 'br', 'dt', 'dd', 'caption', 'summary', 'option', 'legend']);
const HEADING = /^h([1-6])$/;
const CELL_SEPARATOR = ' | ';

/**
 * Reads HTML into sections split at h1–h6. Scripts, styles and other invisible elements are
 * dropped; block elements become line or paragraph breaks, table cells are joined with ` | `;
 * entities are decoded by the parser.
 */
export function parseHtml(html: string): RawDocument {
  const reader = new HtmlReader();
  const parser = new Parser(
    {
      onopentag: (name) => reader.open(name),
      onclosetag: (name) => reader.close(name),
      ontext: (text) => reader.text(text),
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.end(html);
  return reader.finish();
}

class HtmlReader {
  private readonly sections: TextSection[] = [];
  private readonly stack: { level: number; text: string }[] = [];
  private parts: string[] = [];
  /** Newlines owed before the next text: 1 for a line break, 2 for a paragraph. */
  private pendingBreak = 0;
  /** Depth inside a dropped element (counting its descendants), and which element started it. */
  private dropDepth = 0;
  private dropRoot = '';
  private preDepth = 0;
  /** Cells seen in each open table row, innermost last. */
  private readonly rowCells: number[] = [];
  private openCells = 0;
  private heading?: { level: number; parts: string[] };
  private titleParts?: string[];
  private title?: string;
  private firstH1?: string;

  open(name: string): void {
    if (this.dropDepth === 1 && this.dropRoot === 'head' && !HEAD_CONTENT.has(name)) this.dropDepth = 0;
    if (name === 'title' && this.title === undefined && (this.dropDepth === 0 || this.dropRoot === 'head')) {
      this.titleParts = [];
    }
    if (this.dropDepth > 0 || DROPPED.has(name) || name === 'head') {
      if (this.dropDepth++ === 0) this.dropRoot = name;
      return;
    }
    const level = HEADING.exec(name);
    if (level !== null) return this.startHeading(Number(level[1]));
    if (name === 'pre') this.preDepth++;
    if (name === 'tr') this.rowCells.push(0);
    if (name === 'td' || name === 'th') this.openCells++;
    if ((name === 'td' || name === 'th') && this.rowCells.length > 0) {
      if (this.rowCells[this.rowCells.length - 1]++ > 0) {
        // Blocks inside the previous cell must not break the row apart.
        this.pendingBreak = 0;
        this.append(CELL_SEPARATOR);
      }
    }
    this.blockBreak(name);
  }

  close(name: string): void {
    if (name === 'title' && this.titleParts !== undefined) {
      this.title = collapse(this.titleParts.join(''));
      this.titleParts = undefined;
    }
    if (this.dropDepth > 0) {
      this.dropDepth--;
      return;
    }
    if (HEADING.test(name)) return this.endHeading();
    if (name === 'pre') this.preDepth = Math.max(0, this.preDepth - 1);
    if (name === 'tr') this.rowCells.pop();
    if (name === 'td' || name === 'th') this.openCells = Math.max(0, this.openCells - 1);
    // A <br> breaks once, on opening; closing it again would turn one break into a paragraph.
    if (name !== 'br') this.blockBreak(name);
  }

  text(raw: string): void {
    if (this.titleParts !== undefined) {
      this.titleParts.push(raw);
      return;
    }
    if (this.dropDepth > 0) return;
    if (this.heading !== undefined) {
      this.heading.parts.push(raw);
      return;
    }
    this.append(this.preDepth > 0 ? raw : raw.replace(/[ \t\n\r\f]+/g, ' '));
  }

  finish(): RawDocument {
    this.flush();
    const title = this.title === undefined || this.title === '' ? this.firstH1 : this.title;
    return { title, sections: this.sections };
  }

  private append(text: string): void {
    // Whitespace between block tags is source formatting, not content.
    if (this.pendingBreak > 0 && text.trim() === '') return;
    if (this.pendingBreak > 0 && this.parts.length > 0) this.parts.push('\n'.repeat(this.pendingBreak));
    this.pendingBreak = 0;
    this.parts.push(text);
  }

  private blockBreak(name: string): void {
    // Inside a table cell, blocks only separate words, so a row stays on one line.
    if (this.openCells > 0 && (PARAGRAPH_BLOCKS.has(name) || LINE_BLOCKS.has(name))) return this.append(' ');
    if (PARAGRAPH_BLOCKS.has(name)) this.pendingBreak = 2;
    else if (LINE_BLOCKS.has(name)) this.pendingBreak = Math.max(this.pendingBreak, 1);
  }

  private startHeading(level: number): void {
    this.flush();
    this.heading = { level, parts: [] };
  }

  private endHeading(): void {
    const heading = this.heading;
    this.heading = undefined;
    if (heading === undefined) return;
    const text = collapse(heading.parts.join(''));
    if (text === '') return;
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].level >= heading.level)
      this.stack.pop();
    this.stack.push({ level: heading.level, text });
    if (heading.level === 1 && this.firstH1 === undefined) this.firstH1 = text;
  }

  private flush(): void {
    const text = this.parts.join('');
    if (text.trim() !== '') this.sections.push({ headingPath: this.stack.map((h) => h.text), text });
    this.parts = [];
    this.pendingBreak = 0;
  }
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

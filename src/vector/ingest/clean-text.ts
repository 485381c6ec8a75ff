// Line and paragraph separators other than \n: CRLF, lone CR, NEL, vertical tab, form feed (PDF page
// breaks) and the Unicode separators. They become newlines rather than vanishing so words on either
// side stay apart.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const LINE_BREAKS = /\r\n?|[\u000B\u000C\u0085\u2028]/g;
const PARAGRAPH_SEPARATOR = /\u2029/g;

// C0/C1 controls except \t and \n, zero-width space/non-joiner/joiner, word joiner, BOM and soft
// hyphen: invisible, and they split or disguise words for the tokenizer and for search.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u00AD\u200B-\u200D\u2060\uFEFF]/g;

// No-break and typographic spaces (&nbsp;, thin spaces, the ideographic space) are plain spaces here.
const HORIZONTAL_SPACE = /[ \t\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g;

const SPACE_AROUND_NEWLINE = / ?\n ?/g;
const EXTRA_NEWLINES = /\n{3,}/g;

/**
 * Normalises extracted text for chunking and embedding: NFC, no invisible or control characters,
 * `\n` line endings, single spaces, lines without surrounding spaces, at most one blank line
 * between paragraphs, trimmed. Letters of every script are kept as they are.
 */
export function cleanText(text: string): string {
  return (
    text
      .replace(LINE_BREAKS, '\n')
      .replace(PARAGRAPH_SEPARATOR, '\n\n')
      .replace(INVISIBLE, '')
      .normalize('NFC')
      .replace(HORIZONTAL_SPACE, ' ')
      // After collapsing, one leading space carries no indentation, so lines are trimmed both ends.
      .replace(SPACE_AROUND_NEWLINE, '\n')
      .replace(EXTRA_NEWLINES, '\n\n')
      .trim()
  );
}

// Code spans and backslash escapes are swapped for private-use placeholders while the other rules
// run, so `*` inside code or written as `\*` is never taken for emphasis.
const CODE_SPAN = /(`+)(.+?)\1(?!`)/g;
const CODE_PLACEHOLDER = /\uE000(\d+)\uE001/g;
const ESCAPED = /\\([!-/:-@[-`{-~])/g;
const ESCAPE_BASE = 0xe100;
const ESCAPE_PLACEHOLDER = /[\uE100-\uE17F]/g;

// Link destinations may hold one level of balanced parentheses, e.g. Wikipedia URLs.
const DESTINATION = String.raw`\((?:[^()]|\([^()]*\))*\)`;
// eslint-disable-next-line security/detect-non-literal-regexp -- built from constant pattern strings
const IMAGE = new RegExp(String.raw`!\[([^\]]*)\]${DESTINATION}`, 'g');
// eslint-disable-next-line security/detect-non-literal-regexp -- built from constant pattern strings
const LINK = new RegExp(String.raw`\[([^\]]*)\]${DESTINATION}`, 'g');
const REFERENCE_LINK = /!?\[([^\]]+)\]\[[^\]]*\]/g;
const AUTOLINK = /<((?:https?|ftp|mailto):[^>\s]+)>/g;

const STAR_EMPHASIS = /(\*{1,3})(?=\S)(.+?)(?<=\S)\1/g;
// Underscores inside words (snake_case) are not emphasis.
const UNDERSCORE_EMPHASIS = /(^|[^\p{L}\p{N}_])(_{1,3})(?=\S)(.+?)(?<=\S)\2(?![\p{L}\p{N}_])/gu;
const STRIKETHROUGH = /~~(?=\S)(.+?)(?<=\S)~~/g;

/**
 * Reduces one line of Markdown inline syntax to its text: `[text](url)` → text, `![alt](src)` →
 * alt, emphasis and strikethrough markers and code-span backticks dropped, escapes resolved.
 */
export function stripInlineMarkdown(line: string): string {
  const code: string[] = [];
  let text = line.replace(CODE_SPAN, (_match, _ticks: string, content: string) => {
    code.push(content);
    return `\uE000${code.length - 1}\uE001`;
  });
  text = text.replace(ESCAPED, (_match, char: string) =>
    String.fromCharCode(ESCAPE_BASE + char.charCodeAt(0)),
  );

  text = text.replace(IMAGE, '$1').replace(LINK, '$1').replace(REFERENCE_LINK, '$1').replace(AUTOLINK, '$1');
  text = stripEmphasis(stripEmphasis(text));

  return text
    .replace(ESCAPE_PLACEHOLDER, (char) => String.fromCharCode(char.charCodeAt(0) - ESCAPE_BASE))
    .replace(CODE_PLACEHOLDER, (_match, index: string) => code[Number(index)] ?? '');
}

// Twice, because nested emphasis (`**bold *and italic***`) sheds one layer per pass.
function stripEmphasis(text: string): string {
  return text.replace(STAR_EMPHASIS, '$2').replace(UNDERSCORE_EMPHASIS, '$1$3').replace(STRIKETHROUGH, '$1');
}

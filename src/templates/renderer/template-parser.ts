import {
  type ParsedTemplate,
  type SectionNode,
  type TemplateNode,
  TemplateSyntaxError,
} from './template-nodes.js';

/** Deeper nesting is refused: it only ever comes from generated or hostile templates. */
export const MAX_SECTION_DEPTH = 32;
const MAX_NAME_LENGTH = 256;
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const INDEX = /^(?:0|[1-9][0-9]{0,8})$/;
/** Tags that vanish with their whole line when they stand alone on it (Mustache's standalone rule). */
const STANDALONE_SIGILS = new Set(['#', '^', '/', '!']);
/** Whitespace up to the end of the line (or of the template), read at `lastIndex`. */
const REST_OF_LINE = /[ \t]*(?:\r?\n|$)/y;

interface Tag {
  /** '' for a plain variable; '{' for `{{{x}}}`. */
  sigil: string;
  body: string;
  end: number;
}

interface OpenSection {
  inverted: boolean;
  name: string;
  path: string[];
  offset: number;
  children: TemplateNode[];
}

function readTag(source: string, open: number): Tag {
  if (source.startsWith('{{{', open)) {
    const close = source.indexOf('}}}', open + 3);
    if (close === -1) throw new TemplateSyntaxError('Unclosed tag "{{{"', source, open);
    return { sigil: '{', body: source.slice(open + 3, close), end: close + 3 };
  }
  const close = source.indexOf('}}', open + 2);
  if (close === -1) throw new TemplateSyntaxError('Unclosed tag "{{"', source, open);
  const inner = source.slice(open + 2, close);
  const first = inner.charAt(0);
  const sigil = first !== '' && '#^/!>=&'.includes(first) ? first : '';
  return { sigil, body: inner.slice(sigil.length), end: close + 2 };
}

/** `a.b.0` → ['a', 'b', '0']; `.` → [] (the current section item). */
function parseName(body: string, source: string, offset: number, inSection: boolean): string[] {
  const name = body.trim();
  if (name === '') throw new TemplateSyntaxError('Empty tag', source, offset);
  if (name === '.') {
    if (!inSection) {
      throw new TemplateSyntaxError(
        '"{{.}}" (the current item) is only valid inside a section',
        source,
        offset,
      );
    }
    return [];
  }
  const path = name.split('.');
  const valid =
    name.length <= MAX_NAME_LENGTH &&
    path.every((segment, i) => SEGMENT.test(segment) || (i > 0 && INDEX.test(segment)));
  if (!valid) {
    throw new TemplateSyntaxError(
      `Invalid variable name "${name.slice(0, 64)}" (letters, digits, "_" and "-", dotted paths)`,
      source,
      offset,
    );
  }
  return path;
}

/**
 * Where the text before a standalone tag ends and parsing resumes, when the tag is alone on its line
 * (only spaces or tabs around it); undefined otherwise. `pos` is where the previous tag ended.
 */
function standaloneSpan(
  source: string,
  pos: number,
  open: number,
  end: number,
): { textEnd: number; next: number } | undefined {
  const lineStart = source.lastIndexOf('\n', open - 1) + 1;
  if (lineStart < pos) return undefined;
  if (!/^[ \t]*$/.test(source.slice(lineStart, open))) return undefined;
  REST_OF_LINE.lastIndex = end;
  const rest = REST_OF_LINE.exec(source);
  return rest ? { textEnd: lineStart, next: end + rest[0].length } : undefined;
}

/**
 * Parses the Mustache subset once into a token tree: `{{name}}` (also `{{&name}}`, `{{{name}}}`: nothing
 * is escaped anyway), dotted paths, `{{.}}`, sections `{{#x}}…{{/x}}`, inverted `{{^x}}…{{/x}}` and
 * comments `{{! … }}`. Partials, set-delimiter tags and anything else are syntax errors with a position.
 */
export function parseTemplate(source: string): ParsedTemplate {
  const root: TemplateNode[] = [];
  const open: OpenSection[] = [];
  /** Sections that push a context; `{{.}}` needs one. Inverted sections push none. */
  let pushing = 0;
  let pos = 0;
  const emitText = (text: string): void => {
    if (text !== '')
      (open.at(-1)?.children ?? root).push({ kind: 'text', text, bytes: Buffer.byteLength(text) });
  };

  while (pos < source.length) {
    const start = source.indexOf('{{', pos);
    if (start === -1) {
      emitText(source.slice(pos));
      break;
    }
    const tag = readTag(source, start);
    const standalone = STANDALONE_SIGILS.has(tag.sigil)
      ? standaloneSpan(source, pos, start, tag.end)
      : undefined;
    emitText(source.slice(pos, standalone?.textEnd ?? start));
    pos = standalone?.next ?? tag.end;

    switch (tag.sigil) {
      case '!':
        break;
      case '>':
        throw new TemplateSyntaxError('Partials ("{{> …}}") are not supported', source, start);
      case '=':
        throw new TemplateSyntaxError('Set-delimiter tags ("{{=… …=}}") are not supported', source, start);
      case '#':
      case '^': {
        if (open.length >= MAX_SECTION_DEPTH) {
          throw new TemplateSyntaxError(`Sections nest deeper than ${MAX_SECTION_DEPTH}`, source, start);
        }
        const path = parseName(tag.body, source, start, pushing > 0);
        const inverted = tag.sigil === '^';
        open.push({ inverted, name: tag.body.trim(), path, offset: start, children: [] });
        if (!inverted) pushing++;
        break;
      }
      case '/': {
        const name = tag.body.trim();
        const section = open.pop();
        if (!section) {
          throw new TemplateSyntaxError(`Closing tag "{{/${name}}}" without an open section`, source, start);
        }
        if (section.name !== name) {
          throw new TemplateSyntaxError(
            `Mismatched closing tag "{{/${name}}}": expected "{{/${section.name}}}"`,
            source,
            start,
          );
        }
        if (!section.inverted) pushing--;
        const node: SectionNode = { kind: 'section', ...section };
        (open.at(-1)?.children ?? root).push(node);
        break;
      }
      default: {
        const path = parseName(tag.body, source, start, pushing > 0);
        const node: TemplateNode = { kind: 'variable', name: tag.body.trim(), path, offset: start };
        (open.at(-1)?.children ?? root).push(node);
      }
    }
  }
  const unclosed = open.at(-1);
  if (unclosed) {
    throw new TemplateSyntaxError(`Unclosed section "{{#${unclosed.name}}}"`, source, unclosed.offset);
  }
  return { nodes: root };
}

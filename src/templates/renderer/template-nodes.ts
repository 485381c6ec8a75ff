/** Literal text, copied to the output as is. */
export interface TextNode {
  readonly kind: 'text';
  readonly text: string;
  /** UTF-8 length of `text`, counted once at parse time for the output bound. */
  readonly bytes: number;
}

/** `{{name}}`, `{{a.b}}` or `{{.}}` (empty path: the current section item). */
export interface VariableNode {
  readonly kind: 'variable';
  /** As written, for messages. */
  readonly name: string;
  readonly path: readonly string[];
  readonly offset: number;
}

/** `{{#name}}…{{/name}}`, or inverted `{{^name}}…{{/name}}`. */
export interface SectionNode {
  readonly kind: 'section';
  readonly inverted: boolean;
  readonly name: string;
  readonly path: readonly string[];
  readonly offset: number;
  readonly children: readonly TemplateNode[];
}

export type TemplateNode = TextNode | VariableNode | SectionNode;

/** A template parsed once into its token tree; rendering never looks at the source text again. */
export interface ParsedTemplate {
  readonly nodes: readonly TemplateNode[];
}

/** 1-based line and column of a character offset, for messages. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** A template that does not parse. The message names the position (`at line 3, column 5`). */
export class TemplateSyntaxError extends Error {
  readonly line: number;
  readonly column: number;

  constructor(
    problem: string,
    source: string,
    readonly offset: number,
  ) {
    const { line, column } = positionOf(source, offset);
    super(`${problem} at line ${line}, column ${column}`);
    this.name = 'TemplateSyntaxError';
    this.line = line;
    this.column = column;
  }
}

/** Rendering exceeded a bound (output size or work). */
export class TemplateRenderError extends Error {
  constructor(
    readonly reason: 'output_too_large' | 'too_much_work',
    message: string,
  ) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

import {
  type ParsedTemplate,
  type SectionNode,
  type TemplateNode,
  TemplateRenderError,
} from './template-nodes.js';

export interface RenderLimits {
  /** UTF-8 bytes of output. */
  readonly maxOutputBytes: number;
  /** Nodes visited, section iterations included: nested sections over long lists multiply. */
  readonly maxSteps: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { maxOutputBytes: 1024 * 1024, maxSteps: 1_000_000 };

const MISSING = Symbol('missing');

function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** What a template may see of a value: JSON data only. Functions and class instances count as empty. */
function dataOnly(value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'object') return value === null || isPlainContainer(value) ? value : undefined;
  return undefined;
}

/**
 * An own data property of a plain object or array, never the prototype chain nor a getter:
 * `constructor`, `__proto__` and `toString` are missing unless the data itself has them.
 */
function ownValue(container: unknown, key: string): unknown {
  if (typeof container !== 'object' || container === null || !isPlainContainer(container)) return MISSING;
  const descriptor = Object.getOwnPropertyDescriptor(container, key);
  if (!descriptor || !('value' in descriptor)) return MISSING;
  return dataOnly(descriptor.value);
}

/**
 * Mustache's lookup: the first segment is searched from the innermost context outwards; the rest are
 * read from what it found (a dotted name whose head is found does not fall back further out).
 */
function lookup(stack: readonly unknown[], path: readonly string[]): unknown {
  if (path.length === 0) return stack[stack.length - 1];
  for (let i = stack.length - 1; i >= 0; i--) {
    let value = ownValue(stack[i], path[0]);
    if (value === MISSING) continue;
    for (let k = 1; k < path.length && value !== MISSING; k++) value = ownValue(value, path[k]);
    return value === MISSING ? undefined : value;
  }
  return undefined;
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === false ||
    value === '' ||
    value === 0 ||
    Number.isNaN(value) ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** Values are inserted as plain text: no escaping, no re-parsing. Objects and arrays as JSON. */
function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return String(value);
  // Only plain objects and arrays get this far (see `dataOnly`).
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return '';
}

class Rendering {
  private readonly parts: string[] = [];
  private bytes = 0;
  private steps = 0;

  constructor(private readonly limits: RenderLimits) {}

  get text(): string {
    return this.parts.join('');
  }

  nodes(nodes: readonly TemplateNode[], stack: unknown[]): void {
    for (const node of nodes) {
      this.step();
      switch (node.kind) {
        case 'text':
          this.emit(node.text, node.bytes);
          break;
        case 'variable': {
          const text = display(lookup(stack, node.path));
          if (text !== '') this.emit(text, Buffer.byteLength(text));
          break;
        }
        case 'section':
          this.section(node, stack);
          break;
      }
    }
  }

  private section(node: SectionNode, stack: unknown[]): void {
    const value = lookup(stack, node.path);
    if (node.inverted) {
      if (isEmpty(value)) this.nodes(node.children, stack);
      return;
    }
    if (isEmpty(value)) return;
    const items: readonly unknown[] = Array.isArray(value) ? value : [value];
    for (const item of items) {
      this.step();
      stack.push(item);
      this.nodes(node.children, stack);
      stack.pop();
    }
  }

  private step(): void {
    if (++this.steps > this.limits.maxSteps) {
      throw new TemplateRenderError(
        'too_much_work',
        `Rendering took more than ${this.limits.maxSteps} steps (sections over long lists nest too deep).`,
      );
    }
  }

  private emit(text: string, bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.limits.maxOutputBytes) {
      throw new TemplateRenderError(
        'output_too_large',
        `The rendered text exceeds ${this.limits.maxOutputBytes} bytes.`,
      );
    }
    this.parts.push(text);
  }
}

/**
 * Renders a parsed template against JSON variables. Logic-less and sandboxed: lookups read own data
 * properties of plain objects and arrays only, nothing is ever called, and substituted values are
 * plain text. Throws `TemplateRenderError` past the output or work bounds.
 */
export function renderTemplate(
  template: ParsedTemplate,
  variables: Readonly<Record<string, unknown>>,
  limits: RenderLimits = DEFAULT_RENDER_LIMITS,
): string {
  const rendering = new Rendering(limits);
  rendering.nodes(template.nodes, [variables]);
  return rendering.text;
}

import type { ParsedTemplate, TemplateNode } from './template-nodes.js';

/** Names a context is known to have (from a schema's `properties`), or `open` when the schema does not say. */
type Scope = ReadonlyMap<string, unknown> | 'open';

export interface UndeclaredVariable {
  /** The top-level name looked up, e.g. `customer` for `{{customer.name}}`. */
  readonly name: string;
  readonly offset: number;
}

const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The names a value described by `schema` is known to have. */
function scopeOf(schema: unknown): Scope {
  if (schema === false) return new Map();
  if (!isObject(schema)) return 'open';
  if (isObject(schema.properties)) return new Map(Object.entries(schema.properties));
  if (typeof schema.type === 'string' && SCALAR_TYPES.has(schema.type)) return new Map();
  return 'open';
}

/** The context a section pushes: each item of an array, or the value itself. */
function sectionScopeOf(schema: unknown): Scope {
  if (isObject(schema) && (schema.type === 'array' || 'items' in schema)) {
    return Array.isArray(schema.items) ? 'open' : scopeOf(schema.items);
  }
  return scopeOf(schema);
}

/** The schema of a path's value, when the scopes can tell; `found: false` when no scope declares its head. */
function resolve(scopes: readonly Scope[], path: readonly string[]): { found: boolean; schema?: unknown } {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i];
    if (scope === 'open') return { found: true };
    if (!scope.has(path[0])) continue;
    let schema = scope.get(path[0]);
    for (const segment of path.slice(1)) {
      if (isObject(schema) && isObject(schema.properties) && Object.hasOwn(schema.properties, segment)) {
        schema = schema.properties[segment];
      } else if (isObject(schema) && /^\d+$/.test(segment) && isObject(schema.items)) {
        schema = schema.items;
      } else {
        return { found: true };
      }
    }
    return { found: true, schema };
  }
  return { found: false };
}

function walk(nodes: readonly TemplateNode[], scopes: Scope[]): UndeclaredVariable | undefined {
  for (const node of nodes) {
    if (node.kind === 'text' || node.path.length === 0) continue;
    const resolved = resolve(scopes, node.path);
    if (!resolved.found) return { name: node.path[0], offset: node.offset };
    if (node.kind !== 'section') continue;
    const inner = node.inverted
      ? walk(node.children, scopes)
      : walk(node.children, [...scopes, sectionScopeOf(resolved.schema)]);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * The first name the template looks up that its variables schema does not declare, if any. Names at
 * the top level must be in the root `properties`; inside a section they may also be properties of the
 * section's items, when the schema describes them (otherwise anything goes there).
 */
export function findUndeclared(
  template: ParsedTemplate,
  rootSchema: unknown,
): UndeclaredVariable | undefined {
  const root = scopeOf(rootSchema);
  return walk(template.nodes, [root === 'open' ? new Map() : root]);
}

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** A JSON Schema as stored: a JSON object. */
export type JsonSchemaObject = Record<string, unknown>;

export const MAX_SCHEMA_BYTES = 64 * 1024;
const MAX_SCHEMA_DEPTH = 32;

/** Keywords refused in stored schemas, and why. */
const FORBIDDEN: Readonly<Record<string, string>> = {
  pattern: 'regular expressions from templates could stall the server',
  patternProperties: 'regular expressions from templates could stall the server',
  $id: 'schemas cannot be named or shared between templates',
  $async: 'asynchronous validation is not supported',
};
/** Keywords whose value is a subschema (or, for `items`, possibly an array of them). */
const SUBSCHEMA = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'contains',
  'propertyNames',
  'if',
  'then',
  'else',
  'not',
]);
const SUBSCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
/** Keywords whose value maps names to subschemas. */
const SUBSCHEMA_MAPS = new Set(['properties', 'definitions', '$defs', 'dependencies', 'dependentSchemas']);

/**
 * One instance for every template: compiling on a fresh one costs ~20 ms. It stays free of tenant
 * data: `$id` is refused (no schema can reach another by name) and each schema leaves its cache once
 * compiled (the validator keeps what it needs).
 */
const ajv = new Ajv({
  allErrors: false,
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  logger: false,
  addUsedSchema: false,
  // Otherwise `properties: {constructor: …}` checks the inherited `Object.prototype.constructor`.
  ownProperties: true,
});

/** A stored schema that is not acceptable; `param` points into the request (`variables.properties.x`). */
export class VariablesSchemaError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
    this.name = 'VariablesSchemaError';
  }
}

/** The first variable at fault: its dotted path in the variables object (`''` for the object itself). */
export interface VariableProblem {
  readonly path: string;
  readonly message: string;
}

export interface VariablesValidator {
  validate(variables: unknown): VariableProblem | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeywords(schema: unknown, at: string, depth: number): void {
  if (!isObject(schema)) return;
  if (depth > MAX_SCHEMA_DEPTH) {
    throw new VariablesSchemaError(`The variables schema nests deeper than ${MAX_SCHEMA_DEPTH}.`, at);
  }
  for (const [keyword, value] of Object.entries(schema)) {
    const here = `${at}.${keyword}`;
    const forbidden = FORBIDDEN[keyword];
    if (forbidden !== undefined && Object.hasOwn(FORBIDDEN, keyword)) {
      throw new VariablesSchemaError(
        `"${keyword}" is not supported in variables schemas: ${forbidden}.`,
        here,
      );
    }
    if (keyword === '$ref' && (typeof value !== 'string' || !value.startsWith('#'))) {
      throw new VariablesSchemaError('Only local references ("$ref": "#/…") are supported.', here);
    }
    if (SUBSCHEMA.has(keyword)) {
      if (Array.isArray(value)) value.forEach((s, i) => checkKeywords(s, `${here}.${i}`, depth + 1));
      else checkKeywords(value, here, depth + 1);
    } else if (SUBSCHEMA_LISTS.has(keyword) && Array.isArray(value)) {
      value.forEach((s, i) => checkKeywords(s, `${here}.${i}`, depth + 1));
    } else if (SUBSCHEMA_MAPS.has(keyword) && isObject(value)) {
      for (const [name, s] of Object.entries(value)) checkKeywords(s, `${here}.${name}`, depth + 1);
    }
  }
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function problemOf(error: ErrorObject): VariableProblem {
  const path = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map(unescapePointer);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    path.push(params.missingProperty);
    return { path: path.join('.'), message: `Missing variable '${path.join('.')}'.` };
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path.push(params.additionalProperty);
    return {
      path: path.join('.'),
      message: `Unexpected variable '${path.join('.')}': the template's variables schema does not declare it.`,
    };
  }
  const name = path.length === 0 ? 'variables' : `variable '${path.join('.')}'`;
  return {
    path: path.join('.'),
    message: `Invalid ${name}: ${error.message ?? 'does not match the schema'}.`,
  };
}

class AjvVariablesValidator implements VariablesValidator {
  constructor(private readonly fn: ValidateFunction) {}

  validate(variables: unknown): VariableProblem | undefined {
    if (this.fn(variables)) return undefined;
    const first = this.fn.errors?.[0];
    return first ? problemOf(first) : { path: '', message: 'Invalid variables.' };
  }
}

/**
 * Checks and compiles a template's variables schema (JSON Schema draft-07, as Ajv 8 takes it). It must
 * describe an object; unless it says otherwise, variables it does not declare are refused
 * (`additionalProperties: false` at the top level). Throws `VariablesSchemaError` naming the problem.
 */
export function compileVariablesSchema(schema: unknown): VariablesValidator {
  if (!isObject(schema))
    throw new VariablesSchemaError('variables must be a JSON Schema object.', 'variables');
  if (Buffer.byteLength(JSON.stringify(schema)) > MAX_SCHEMA_BYTES) {
    throw new VariablesSchemaError(`The variables schema exceeds ${MAX_SCHEMA_BYTES} bytes.`, 'variables');
  }
  if (schema.type !== 'object') {
    throw new VariablesSchemaError(
      'The variables schema must describe an object ("type": "object").',
      'variables.type',
    );
  }
  checkKeywords(schema, 'variables', 0);
  const effective = 'additionalProperties' in schema ? schema : { ...schema, additionalProperties: false };
  try {
    const fn = ajv.compile(effective);
    return new AjvVariablesValidator(fn);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new VariablesSchemaError(`variables is not a valid JSON Schema: ${reason}`, 'variables');
  } finally {
    ajv.removeSchema(effective);
  }
}

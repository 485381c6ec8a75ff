import { compileVariablesSchema, VariablesSchemaError } from './variables-schema.js';

const SCHEMA = {
  type: 'object',
  properties: {
    customer_name: { type: 'string', minLength: 1 },
    order: {
      type: 'object',
      properties: { total: { type: 'number' }, items: { type: 'array', items: { type: 'string' } } },
      required: ['total'],
    },
    vip: { type: 'boolean' },
  },
  required: ['customer_name'],
};

function schemaError(schema: unknown): VariablesSchemaError {
  try {
    compileVariablesSchema(schema);
  } catch (err) {
    if (err instanceof VariablesSchemaError) return err;
    throw err;
  }
  throw new Error('expected a schema error');
}

describe('variables schema', () => {
  const validator = compileVariablesSchema(SCHEMA);

  it('accepts variables that match', () => {
    expect(validator.validate({ customer_name: 'Ada' })).toBeUndefined();
    expect(
      validator.validate({ customer_name: 'Ada', vip: true, order: { total: 3, items: ['tea'] } }),
    ).toBeUndefined();
  });

  it('names a missing variable', () => {
    expect(validator.validate({})).toEqual({
      path: 'customer_name',
      message: "Missing variable 'customer_name'.",
    });
    expect(validator.validate({ customer_name: 'Ada', order: {} })?.path).toBe('order.total');
  });

  it('names an extra variable: top-level additionalProperties is false unless the schema says so', () => {
    expect(validator.validate({ customer_name: 'Ada', coupon: 'X' })).toEqual({
      path: 'coupon',
      message: "Unexpected variable 'coupon': the template's variables schema does not declare it.",
    });
    const open = compileVariablesSchema({ ...SCHEMA, additionalProperties: true });
    expect(open.validate({ customer_name: 'Ada', coupon: 'X' })).toBeUndefined();
  });

  it('names a wrongly typed variable, nested ones by their dotted path', () => {
    expect(validator.validate({ customer_name: 42 })).toEqual({
      path: 'customer_name',
      message: "Invalid variable 'customer_name': must be string.",
    });
    expect(validator.validate({ customer_name: 'Ada', order: { total: 1, items: ['a', 7] } })?.path).toBe(
      'order.items.1',
    );
    expect(validator.validate({ customer_name: '' })?.message).toMatch(/fewer than 1 characters/);
    expect(validator.validate(['not', 'an', 'object'])).toEqual({
      path: '',
      message: 'Invalid variables: must be object.',
    });
  });

  it('unescapes JSON pointer segments in paths', () => {
    const v = compileVariablesSchema({ type: 'object', properties: { 'a/b': { type: 'string' } } });
    expect(v.validate({ 'a/b': 1 })?.path).toBe('a/b');
  });

  it('refuses schemas that do not describe an object', () => {
    expect(schemaError([]).param).toBe('variables');
    expect(schemaError('string').param).toBe('variables');
    expect(schemaError({ type: 'string' })).toMatchObject({ param: 'variables.type' });
    expect(schemaError({ properties: {} })).toMatchObject({ param: 'variables.type' });
  });

  it('refuses schemas that do not compile, naming the problem', () => {
    expect(schemaError({ type: 'object', properties: { a: { type: 'strin' } } }).message).toMatch(
      /not a valid JSON Schema: schema is invalid: data\/properties\/a\/type/,
    );
    expect(schemaError({ type: 'object', requried: ['a'] }).message).toMatch(/unknown keyword: "requried"/);
    expect(schemaError({ type: 'object', properties: { a: { format: 'email' } } }).message).toMatch(
      /unknown format "email"/,
    );
    expect(
      schemaError({ type: 'object', properties: { a: { $ref: '#/definitions/nope' } } }).message,
    ).toMatch(/can't resolve reference/);
  });

  it('refuses regular expressions, ids, async and remote references, wherever they are', () => {
    expect(
      schemaError({ type: 'object', properties: { a: { type: 'string', pattern: '^(a+)+$' } } }),
    ).toMatchObject({
      param: 'variables.properties.a.pattern',
    });
    expect(schemaError({ type: 'object', patternProperties: { x: {} } }).param).toBe(
      'variables.patternProperties',
    );
    expect(schemaError({ type: 'object', $id: 'https://example.com/s' }).param).toBe('variables.$id');
    expect(schemaError({ type: 'object', $async: true }).param).toBe('variables.$async');
    expect(
      schemaError({ type: 'object', properties: { a: { anyOf: [{ $ref: 'https://evil.example/s.json' }] } } })
        .param,
    ).toBe('variables.properties.a.anyOf.0.$ref');
    expect(
      schemaError({
        type: 'object',
        properties: { a: { type: 'array', items: { propertyNames: { pattern: 'x' } } } },
      }).param,
    ).toBe('variables.properties.a.items.propertyNames.pattern');
  });

  it('treats keyword-like property names as names, not keywords', () => {
    const v = compileVariablesSchema({
      type: 'object',
      properties: { pattern: { type: 'string' }, $id: { type: 'string' }, constructor: { type: 'string' } },
    });
    expect(v.validate({ pattern: 'p', $id: 'i', constructor: 'c' })).toBeUndefined();
    // Only own properties count: an object without them does not inherit Object.prototype's.
    expect(v.validate({})).toBeUndefined();
    const required = compileVariablesSchema({
      type: 'object',
      properties: { toString: { type: 'string' } },
      required: ['toString'],
    });
    expect(required.validate({})?.path).toBe('toString');
  });

  it('accepts local references and recursion', () => {
    const v = compileVariablesSchema({
      type: 'object',
      definitions: {
        node: {
          type: 'object',
          properties: { kids: { type: 'array', items: { $ref: '#/definitions/node' } } },
        },
      },
      properties: { tree: { $ref: '#/definitions/node' } },
    });
    expect(v.validate({ tree: { kids: [{ kids: [] }] } })).toBeUndefined();
    expect(v.validate({ tree: { kids: [{ kids: 'x' }] } })?.path).toBe('tree.kids.0.kids');
  });

  it('refuses oversized and over-deep schemas', () => {
    const big = { type: 'object', description: 'x'.repeat(70 * 1024) };
    expect(schemaError(big).message).toMatch(/exceeds 65536 bytes/);
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) deep = { type: 'object', properties: { a: deep } };
    expect(schemaError(deep).message).toMatch(/deeper than 32/);
  });

  it('compiles the same schema many times without keeping them (no $id clashes)', () => {
    for (let i = 0; i < 50; i++) expect(compileVariablesSchema(structuredClone(SCHEMA))).toBeDefined();
  });
});

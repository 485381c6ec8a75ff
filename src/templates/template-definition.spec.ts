import { GatewayError } from '../common/errors/gateway-error.js';
import { renderTemplate } from './renderer/template-renderer.js';
import { defineTemplate, MAX_CONTENT_BYTES } from './template-definition.js';

function definitionError(content: string, schema: unknown): GatewayError {
  try {
    defineTemplate(content, schema);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the definition to be refused');
}

const ORDER_SCHEMA = {
  type: 'object',
  properties: {
    customer: { type: 'object', properties: { name: { type: 'string' } } },
    items: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, qty: { type: 'integer' } } },
    },
    tags: { type: 'array', items: { type: 'string' } },
    notes: { type: 'array' },
    vip: { type: 'boolean' },
  },
};

describe('template definition', () => {
  it('accepts a template whose variables are all declared, and renders it', () => {
    const def = defineTemplate(
      'Dear {{customer.name}}{{#vip}} (VIP){{/vip}}:\n{{#items}}\n- {{qty}} {{name}} for {{customer.name}}\n{{/items}}\n{{#tags}}#{{.}} {{/tags}}{{#notes}}{{anything}}{{/notes}}',
      ORDER_SCHEMA,
    );
    const vars = {
      customer: { name: 'Ada' },
      vip: true,
      items: [{ name: 'tea', qty: 2 }],
      tags: ['x'],
      notes: [],
    };
    expect(def.variables.validate(vars)).toBeUndefined();
    expect(renderTemplate(def.template, vars)).toBe('Dear Ada (VIP):\n- 2 tea for Ada\n#x ');
  });

  it.each([
    ['{{customer_name}}', 'customer_name', 1, 1],
    ['Hi {{#constructor}}x{{/constructor}}', 'constructor', 1, 4],
    ['{{__proto__}}', '__proto__', 1, 1],
    ['{{toString}}', 'toString', 1, 1],
    ['ok\n{{#items}}{{price}}{{/items}}', 'price', 2, 11],
    ['{{#tags}}{{length}}{{/tags}}', 'length', 1, 10],
    ['{{^vip}}{{discount}}{{/vip}}', 'discount', 1, 9],
  ])('refuses %j: %s is not declared', (content, name, line, column) => {
    const err = definitionError(content, ORDER_SCHEMA);
    expect(err.code).toBe('invalid_request_error');
    expect(err.param).toBe('content');
    expect(err.message).toContain(`'${name}' (line ${line}, column ${column})`);
  });

  it('refuses syntax errors with their position, and partials', () => {
    const err = definitionError('Hello\n{{#items}}{{name}}', ORDER_SCHEMA);
    expect(err).toMatchObject({ code: 'invalid_request_error', param: 'content' });
    expect(err.message).toMatch(/Unclosed section .* at line 2, column 1/);
    expect(definitionError('{{> /etc/passwd}}', ORDER_SCHEMA).message).toMatch(/Partials/);
  });

  it('refuses oversized content and bad schemas with the param at fault', () => {
    expect(definitionError('x'.repeat(MAX_CONTENT_BYTES + 1), ORDER_SCHEMA).param).toBe('content');
    expect(defineTemplate('é'.repeat(MAX_CONTENT_BYTES / 2), ORDER_SCHEMA)).toBeDefined();
    expect(definitionError('é'.repeat(MAX_CONTENT_BYTES / 2 + 1), ORDER_SCHEMA).param).toBe('content');
    expect(definitionError('{{a}}', { type: 'array' }).param).toBe('variables.type');
    expect(definitionError('{{a}}', { type: 'object', properties: { a: { type: 'nope' } } }).param).toBe(
      'variables',
    );
  });

  it('treats a schema without properties as declaring nothing', () => {
    expect(defineTemplate('static text', { type: 'object' })).toBeDefined();
    expect(definitionError('{{a}}', { type: 'object', additionalProperties: true }).param).toBe('content');
  });
});

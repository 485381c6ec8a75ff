import { GatewayError } from '../common/errors/gateway-error.js';
import { findUndeclared } from './renderer/declared-variables.js';
import { type ParsedTemplate, positionOf, TemplateSyntaxError } from './renderer/template-nodes.js';
import { parseTemplate } from './renderer/template-parser.js';
import { compileVariablesSchema, VariablesSchemaError, type VariablesValidator } from './variables-schema.js';

export const TEMPLATE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
export const MAX_CONTENT_BYTES = 64 * 1024;

/** A template version ready to render: parsed once, its variables schema compiled once. */
export interface TemplateDefinition {
  readonly template: ParsedTemplate;
  readonly variables: VariablesValidator;
}

/**
 * Checks a template version before it is stored (and compiles it again when a stored one is first
 * rendered): the content parses, the schema compiles and describes an object, and every variable the
 * content uses is declared. Throws 400 `invalid_request_error` naming the field at fault.
 */
export function defineTemplate(content: string, schema: unknown): TemplateDefinition {
  if (Buffer.byteLength(content) > MAX_CONTENT_BYTES) {
    throw new GatewayError('invalid_request_error', `content exceeds ${MAX_CONTENT_BYTES} bytes.`, {
      param: 'content',
    });
  }
  let template: ParsedTemplate;
  try {
    template = parseTemplate(content);
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    throw new GatewayError('invalid_request_error', `Template syntax error: ${err.message}.`, {
      param: 'content',
    });
  }
  let variables: VariablesValidator;
  try {
    variables = compileVariablesSchema(schema);
  } catch (err) {
    if (!(err instanceof VariablesSchemaError)) throw err;
    throw new GatewayError('invalid_request_error', err.message, { param: err.param });
  }
  const undeclared = findUndeclared(template, schema);
  if (undeclared) {
    const { line, column } = positionOf(content, undeclared.offset);
    throw new GatewayError(
      'invalid_request_error',
      `The template uses variable '${undeclared.name}' (line ${line}, column ${column}), ` +
        "which the variables schema's properties do not declare.",
      { param: 'content' },
    );
  }
  return { template, variables };
}

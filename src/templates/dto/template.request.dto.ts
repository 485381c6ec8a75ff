import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_CONTENT_BYTES, TEMPLATE_NAME_PATTERN } from '../template-definition.js';
import type { JsonSchemaObject } from '../variables-schema.js';

const MAX_DESCRIPTION_CHARS = 2000;
const MAX_VERSION = 2_147_483_647;
const TENANT_PATTERN = /^(admin|shared|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

const CONTENT_DOC = {
  example: 'Hello {{customer_name}}!\n{{#items}}\n- {{qty}} × {{name}}\n{{/items}}',
  description:
    'Mustache subset: `{{var}}`, `{{a.b}}`, sections `{{#x}}…{{/x}}`, inverted `{{^x}}…{{/x}}`, comments ' +
    '`{{! … }}`; no HTML escaping, no partials. At most 64 KiB (UTF-8).',
};
const VARIABLES_DOC = {
  type: 'object' as const,
  additionalProperties: true,
  example: {
    type: 'object',
    properties: {
      customer_name: { type: 'string' },
      items: {
        type: 'array',
        items: { type: 'object', properties: { name: { type: 'string' }, qty: { type: 'integer' } } },
      },
    },
    required: ['customer_name'],
  },
  description:
    'JSON Schema (draft-07) of the variables object: `"type": "object"`, declaring every variable the ' +
    'content uses in `properties`; undeclared variables are refused unless it sets `additionalProperties`.',
};

export class CreateTemplateRequestDto {
  /** Validated by `JsonBodyPipe`: nested JSON must reach the service untouched. */
  static readonly selfValidating = true;

  @ApiProperty({ example: 'support.reply', pattern: TEMPLATE_NAME_PATTERN.source })
  @IsString()
  @Matches(TEMPLATE_NAME_PATTERN, {
    message: 'name must start with a letter or digit, then up to 127 letters, digits, "_", "." or "-"',
  })
  name: string;

  @ApiProperty(CONTENT_DOC)
  @IsString()
  @MaxLength(MAX_CONTENT_BYTES)
  content: string;

  @ApiProperty(VARIABLES_DOC)
  @IsObject()
  variables: JsonSchemaObject;

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION_CHARS })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_CHARS)
  description?: string;
}

export class UpdateTemplateRequestDto {
  /** Validated by `JsonBodyPipe`: nested JSON must reach the service untouched. */
  static readonly selfValidating = true;

  @ApiProperty(CONTENT_DOC)
  @IsString()
  @MaxLength(MAX_CONTENT_BYTES)
  content: string;

  @ApiPropertyOptional({
    ...VARIABLES_DOC,
    description: `${VARIABLES_DOC.description} Omitted: the previous version's.`,
  })
  @IsOptional()
  @IsObject()
  variables?: JsonSchemaObject;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_DESCRIPTION_CHARS,
    description: "Omitted: the previous version's; null clears it",
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_CHARS)
  description?: string | null;
}

export class RenderTemplateRequestDto {
  /** Validated by `JsonBodyPipe`: nested JSON must reach the service untouched. */
  static readonly selfValidating = true;

  @ApiPropertyOptional({ minimum: 1, description: 'Defaults to the latest version' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version?: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { customer_name: 'Ada', items: [{ name: 'tea', qty: 2 }] },
    description: "Checked against the version's variables schema",
  })
  @IsObject()
  variables: Record<string, unknown>;
}

export class TenantQueryDto {
  @ApiPropertyOptional({
    description:
      'Admin only: the tenant (a key id, `admin`, or `shared` for the templates every key can read) whose templates to address; default your own',
  })
  @IsOptional()
  @Matches(TENANT_PATTERN, { message: 'tenant must be a key id, admin or shared' })
  tenant?: string;
}

export class GetTemplateQueryDto extends TenantQueryDto {
  @ApiPropertyOptional({ minimum: 1, description: 'A specific version; default the latest' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version?: number;
}

export class ListTemplatesQueryDto {
  @ApiPropertyOptional({
    description:
      'Admin only: list one tenant (a key id, `admin` or `shared`); the admin lists every tenant by default',
  })
  @IsOptional()
  @Matches(TENANT_PATTERN, { message: 'tenant must be a key id, admin or shared' })
  tenant?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page (not with `offset`)' })
  @IsOptional()
  @IsString()
  @MaxLength(600)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 0, description: 'Templates to skip (not with `cursor`)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}

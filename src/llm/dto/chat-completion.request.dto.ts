import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { isChatMessageList } from './chat-message.validation.js';

function IsChatMessages(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isChatMessages',
      validator: {
        validate: (v: unknown) => isChatMessageList(v) === undefined,
        defaultMessage: (a) => isChatMessageList(a?.value) ?? 'invalid messages',
      },
    },
    options,
  );
}

function IsStop(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStop',
      validator: {
        validate: (v: unknown) =>
          typeof v === 'string' ||
          (Array.isArray(v) && v.length <= 4 && v.every((s) => typeof s === 'string')),
        defaultMessage: () => 'stop must be a string or an array of up to 4 strings',
      },
    },
    options,
  );
}

export class StreamOptionsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  include_usage?: boolean;
}

/** OpenAI's chat completions request, plus the gateway's optional extensions. */
/**
 * Its decorators document the route (and mirror the rules); the route validates with
 * `ChatCompletionRequestPipe`, which applies the same rules in one pass.
 */
export class ChatCompletionRequestDto {
  static readonly selfValidating = true;

  @ApiProperty({ example: 'openai/gpt-4o-mini', description: '`<provider>/<model>` or an alias' })
  @IsString()
  model: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ role: 'user', content: 'Say hi' }],
    description: 'OpenAI chat messages (system, developer, user, assistant, tool)',
  })
  @IsChatMessages()
  messages: Array<Record<string, unknown>>;

  @ApiPropertyOptional() @IsOptional() @IsBoolean() stream?: boolean;

  @ApiPropertyOptional({ type: StreamOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @IsInt() @Min(1) max_completion_tokens?: number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] })
  @IsOptional()
  @IsStop()
  stop?: string | string[];

  @ApiPropertyOptional() @IsOptional() @IsInt() seed?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() user?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1, description: 'Only 1 is supported' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1)
  n?: number;
  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;
  @ApiPropertyOptional({ minimum: -2, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { type: 'json_object' } })
  @IsOptional()
  @IsObject()
  response_format?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  @IsOptional()
  @IsArray()
  tools?: Array<Record<string, unknown>>;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', enum: ['none', 'auto', 'required'] },
      { type: 'object', additionalProperties: true },
    ],
  })
  @IsOptional()
  tool_choice?: string | Record<string, unknown>;

  @ApiPropertyOptional() @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;

  @ApiPropertyOptional({ description: 'Gateway extension: stored conversation to continue' })
  @IsOptional()
  @IsString()
  conversation_id?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Gateway extension: { name, version?, variables }',
  })
  @IsOptional()
  @IsObject()
  template?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Gateway extension: { collection, top_k?, min_score?, max_tokens? }',
  })
  @IsOptional()
  @IsObject()
  context?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Gateway extension: { mode: exact|semantic|off, ttl?, threshold? }',
  })
  @IsOptional()
  @IsObject()
  cache?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 5,
    example: ['anthropic/claude-haiku-4-5'],
    description:
      'Gateway extension: models or aliases to try, in order, when `model` fails with a rate limit, an outage or a timeout',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5)
  @IsString({ each: true })
  fallbacks?: string[];

  @ApiPropertyOptional({ enum: ['auto', 'default', 'flex', 'priority'] })
  @IsOptional()
  @IsIn(['auto', 'default', 'flex', 'priority'])
  service_tier?: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/** Longest text of one stored message, in characters (about 256k tokens). */
export const MAX_MESSAGE_CHARS = 1_000_000;

export class ConversationMessageInputDto {
  @ApiProperty({ enum: ['system', 'developer', 'user', 'assistant', 'tool'] })
  @IsIn(['system', 'developer', 'user', 'assistant', 'tool'])
  role: string;

  @ApiProperty({
    type: String,
    example: 'Hello',
    description: 'Text (content parts are kept as sent over chat)',
  })
  @IsString()
  @MaxLength(MAX_MESSAGE_CHARS)
  content: string;
}

export class CreateConversationRequestDto {
  @ApiPropertyOptional({ maxLength: 500 }) @IsOptional() @IsString() @MaxLength(500) title?: string;

  @ApiPropertyOptional({ description: 'Sent first on every chat in this conversation; never trimmed' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_MESSAGE_CHARS)
  system_prompt?: string;

  @ApiPropertyOptional({
    example: 'openai/gpt-4o-mini',
    description: 'Default model for chats that name none',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: [ConversationMessageInputDto],
    maxItems: 1000,
    description: 'Initial history',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => ConversationMessageInputDto)
  messages?: ConversationMessageInputDto[];
}

export class ListConversationsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ConversationMessageDto {
  @ApiProperty() seq: number;
  @ApiProperty() role: string;
  @ApiProperty({ description: 'A string, content parts, or null', nullable: true }) content: unknown;
  @ApiPropertyOptional({ type: String, nullable: true }) name: string | null;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, nullable: true }) tool_calls:
    | unknown[]
    | null;
  @ApiPropertyOptional({ type: String, nullable: true }) tool_call_id: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The model as requested' }) model: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The routing target that answered' })
  target: string | null;
  @ApiProperty({ type: Number, nullable: true }) prompt_tokens: number | null;
  @ApiProperty({ type: Number, nullable: true }) completion_tokens: number | null;
  @ApiProperty({ type: String, nullable: true, enum: ['hit', 'semantic-hit', 'miss', 'bypass'] })
  cache: string | null;
  @ApiProperty({ type: String, nullable: true }) finish_reason: string | null;
  @ApiProperty({
    type: 'object',
    properties: { name: { type: 'string' }, version: { type: 'integer' } },
    nullable: true,
    description: 'The template that made the system prompt',
  })
  template: { name: string; version: number } | null;
  @ApiProperty() created_at: string;
}

export class ConversationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true }) title: string | null;
  @ApiProperty({ type: String, nullable: true }) system_prompt: string | null;
  @ApiProperty({ type: String, nullable: true }) model: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) metadata: Record<
    string,
    unknown
  > | null;
  @ApiProperty() message_count: number;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

export class ConversationWithMessagesDto extends ConversationDto {
  @ApiProperty({ type: [ConversationMessageDto] }) messages: ConversationMessageDto[];
}

export class ConversationListDto {
  @ApiProperty({ type: [ConversationDto] }) data: ConversationDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

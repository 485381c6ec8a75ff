import { SourceDto } from '../context/source.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FinishReason, ToolCall } from '../core/chat.types.js';

class ChatMessageOutDto {
  @ApiProperty({ enum: ['assistant'] }) role: 'assistant';
  @ApiProperty({ type: String, nullable: true }) content: string | null;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true } })
  tool_calls?: ToolCall[];
  @ApiProperty({ type: String, nullable: true }) refusal: null;
}

class ChatChoiceDto {
  @ApiProperty() index: number;
  @ApiProperty({ type: ChatMessageOutDto }) message: ChatMessageOutDto;
  @ApiProperty({ type: Object, nullable: true }) logprobs: null;
  @ApiProperty({ enum: ['stop', 'length', 'tool_calls', 'content_filter'] }) finish_reason: FinishReason;
}

class PromptTokensDetailsDto {
  @ApiProperty({ description: 'Prompt tokens served from the gateway response cache' }) cached_tokens: number;
}

class ChatUsageDto {
  @ApiProperty() prompt_tokens: number;
  @ApiProperty() completion_tokens: number;
  @ApiProperty() total_tokens: number;
  @ApiPropertyOptional({ type: PromptTokensDetailsDto }) prompt_tokens_details?: PromptTokensDetailsDto;
}

export class ChatCompletionResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['chat.completion'] }) object: 'chat.completion';
  @ApiProperty() created: number;
  @ApiProperty() model: string;
  @ApiProperty({ type: String, nullable: true }) system_fingerprint: null;
  @ApiProperty({ type: [ChatChoiceDto] }) choices: ChatChoiceDto[];
  @ApiProperty({ type: ChatUsageDto }) usage: ChatUsageDto;
  @ApiPropertyOptional({
    type: [SourceDto],
    description:
      'Gateway extension, with `context`: the retrieved chunks the answer was given, numbered as cited',
  })
  sources?: SourceDto[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';

/** Upper bound on inputs per request, as OpenAI's API. */
export const MAX_EMBEDDING_INPUTS = 2048;

function IsEmbeddingInput(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmbeddingInput',
      validator: {
        validate: (v: unknown) =>
          (typeof v === 'string' && v.length > 0) ||
          (Array.isArray(v) &&
            v.length > 0 &&
            v.length <= MAX_EMBEDDING_INPUTS &&
            v.every((s) => typeof s === 'string' && s.length > 0)),
        defaultMessage: () =>
          `input must be a non-empty string or an array of 1 to ${MAX_EMBEDDING_INPUTS} non-empty strings`,
      },
    },
    options,
  );
}

export class EmbeddingsRequestDto {
  @ApiProperty({ example: 'local/hash-384', description: '`<provider>/<model>` or an alias' })
  @IsString()
  model: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'The food was delicious',
  })
  @IsEmbeddingInput()
  input: string | string[];

  @ApiPropertyOptional({ enum: ['float', 'base64'], description: 'Defaults to float' })
  @IsOptional()
  @IsIn(['float', 'base64'])
  encoding_format?: 'float' | 'base64';

  @ApiPropertyOptional({ description: 'Output dimensions, where the model supports it' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(8192)
  dimensions?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  user?: string;
}

class EmbeddingDto {
  @ApiProperty({ enum: ['embedding'] }) object: 'embedding';
  @ApiProperty() index: number;
  @ApiProperty({
    oneOf: [
      { type: 'array', items: { type: 'number' } },
      { type: 'string', description: 'base64 float32 LE' },
    ],
  })
  embedding: number[] | string;
}

class EmbeddingsUsageDto {
  @ApiProperty() prompt_tokens: number;
  @ApiProperty() total_tokens: number;
}

export class EmbeddingsResponseDto {
  @ApiProperty({ enum: ['list'] }) object: 'list';
  @ApiProperty({ type: [EmbeddingDto] }) data: EmbeddingDto[];
  @ApiProperty() model: string;
  @ApiProperty({ type: EmbeddingsUsageDto }) usage: EmbeddingsUsageDto;
}

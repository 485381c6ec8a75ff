import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { SCOPES, type Scope } from '../../auth/principal.js';

export class CreateKeyRequestDto {
  @ApiProperty({ example: 'search-frontend', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    enum: SCOPES,
    isArray: true,
    description: 'Defaults to chat, embeddings, documents and templates; `admin` implies every scope',
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes?: Scope[];

  @ApiPropertyOptional({
    type: [String],
    example: ['openai/gpt-4o-mini', 'anthropic/*'],
    description: 'Models (or `provider/*`) the key may call; omitted = any',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  // eslint-disable-next-line security/detect-unsafe-regex -- linear: the optional group starts with a literal '/'; each model is at most 200 characters
  @Matches(/^[\w.:@-]+(\/(\*|[\w.:@/-]+))?$/, {
    each: true,
    message: 'each model must be a model name, an alias or provider/*',
  })
  models?: string[];

  @ApiPropertyOptional({ description: 'Requests per minute', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  rpm?: number;

  @ApiPropertyOptional({ description: 'Prompt + completion tokens per minute', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  tpm?: number;

  @ApiPropertyOptional({ description: 'USD per UTC day at the model registry prices', minimum: 0 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 6 })
  @Min(0)
  @Max(100_000_000)
  daily_budget_usd?: number;
}

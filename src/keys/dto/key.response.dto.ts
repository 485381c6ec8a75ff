import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SCOPES } from '../../auth/principal.js';

export class KeyResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({
    example: 'sk-slrg-Ab3dE5gH',
    description: 'The first characters of the key, for recognising it',
  })
  prefix: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: string[];
  @ApiProperty({ type: [String], nullable: true }) models: string[] | null;
  @ApiProperty({ type: Number, nullable: true }) rpm: number | null;
  @ApiProperty({ type: Number, nullable: true }) tpm: number | null;
  @ApiProperty({ type: Number, nullable: true }) daily_budget_usd: number | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revoked_at: string | null;
}

export class CreatedKeyResponseDto extends KeyResponseDto {
  @ApiProperty({ description: 'The key itself: shown this once, stored only as a hash' })
  key: string;
}

export class KeyListResponseDto {
  @ApiProperty({ type: [KeyResponseDto] }) data: KeyResponseDto[];
}

export class UsageRowDto {
  @ApiProperty({ example: '2026-11-25' }) day: string;
  @ApiProperty({ example: 'openai/gpt-4o-mini' }) model: string;
  @ApiProperty() requests: number;
  @ApiProperty() prompt_tokens: number;
  @ApiProperty() completion_tokens: number;
  @ApiProperty() cached_tokens: number;
  @ApiProperty() cost_usd: number;
  @ApiProperty({ description: 'Calls that ended with a status of 400 or more' }) errors: number;
}

export class UsageResponseDto {
  @ApiProperty({ format: 'uuid' }) key_id: string;
  @ApiProperty({ format: 'date' }) from: string;
  @ApiProperty({ format: 'date', description: 'Inclusive' }) to: string;
  @ApiProperty({ type: [UsageRowDto] }) data: UsageRowDto[];
  @ApiPropertyOptional({ type: UsageRowDto, description: 'Sums over every row' }) totals?: Omit<
    UsageRowDto,
    'day' | 'model'
  >;
}

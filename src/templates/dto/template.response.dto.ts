import { ApiProperty } from '@nestjs/swagger';

export class TemplateResponseDto {
  @ApiProperty({ format: 'uuid', description: 'Of this version' }) id: string;
  @ApiProperty({
    description: "The owning key id, `admin`, or `shared` (the admin's templates every key can read)",
  })
  tenant: string;
  @ApiProperty({ example: 'support.reply' }) name: string;
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty() content: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of the variables' })
  variables: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ format: 'date-time', description: 'When this version was written' }) created_at: string;
}

export class TemplateVersionDto {
  @ApiProperty() version: number;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class TemplateDetailResponseDto extends TemplateResponseDto {
  @ApiProperty() latest_version: number;
  @ApiProperty({ type: [TemplateVersionDto], description: 'Newest first (at most 1000)' })
  versions: TemplateVersionDto[];
}

export class TemplateListResponseDto {
  @ApiProperty({ type: [TemplateResponseDto], description: 'The latest version of each template' })
  data: TemplateResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page' })
  next_cursor: string | null;
  @ApiProperty() has_more: boolean;
}

export class RenderedTemplateResponseDto {
  @ApiProperty() name: string;
  @ApiProperty() version: number;
  @ApiProperty({
    description: "Whether the admin's shared template was used (the caller has none of that name)",
  })
  shared: boolean;
  @ApiProperty({ example: 'Hello Ada!\n- 2 × tea\n' }) text: string;
}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PromptTemplateEntity } from './prompt-template.entity.js';
import { TemplatesCacheService } from './templates-cache.service.js';
import { TemplatesController } from './templates.controller.js';
import { TemplatesRepository } from './templates.repository.js';
import { TemplatesService } from './templates.service.js';

/**
 * Stored prompt templates (`/api/templates`). Exports `TemplatesService`, whose `renderForChat` renders
 * a chat request's `template` as its tenant sees it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([PromptTemplateEntity])],
  controllers: [TemplatesController],
  providers: [TemplatesService, TemplatesRepository, TemplatesCacheService],
  exports: [TemplatesService],
})
export class TemplatesModule {}

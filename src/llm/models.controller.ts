import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { mayUseModel, type Principal } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { ModelCatalog } from './model-catalog.js';
import { RouteTable } from './routing/route-table.js';

class ModelDto {
  @ApiProperty({ example: 'openai/gpt-4o-mini' }) id: string;
  @ApiProperty({ enum: ['model'] }) object: 'model';
  @ApiProperty() created: number;
  @ApiProperty() owned_by: string;
}

class ModelListDto {
  @ApiProperty({ enum: ['list'] }) object: 'list';
  @ApiProperty({ type: [ModelDto] }) data: ModelDto[];
}

@ApiTags('openai')
@ApiBearerAuth()
@Scopes()
@Controller('v1')
export class ModelsController {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly routes: RouteTable,
  ) {}

  @Get('models')
  @ApiOperation({ summary: 'List the models of every configured provider (OpenAI schema)' })
  @ApiOkResponse({ type: ModelListDto })
  @ApiErrorResponses(400, 401, 500)
  async list(@CurrentPrincipal() principal: Principal): Promise<ModelListDto> {
    // Aliases first: they are what clients of a configured gateway are meant to ask for.
    const aliases = this.routes.views().map((r) => ({ id: r.alias, ownedBy: 'gateway' }));
    const models = [...aliases, ...(await this.catalog.list())].filter((m) => mayUseModel(principal, m.id));
    return {
      object: 'list',
      data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })),
    };
  }
}

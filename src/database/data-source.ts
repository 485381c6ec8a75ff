import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../config/load-config.js';
import { buildDataSourceOptions } from './data-source.options.js';
import { DatabaseEndpoint } from './database-endpoint.js';

/**
 * For TypeORM's own CLI (`npm run migration:generate -- migrations/<Name>`), run from `dist/`.
 * Entities are found by file name here; the application registers them through its modules.
 */
const here = dirname(fileURLToPath(import.meta.url));
const config = loadAppConfig();
const endpoint = await DatabaseEndpoint.resolve(config);

export default new DataSource({
  ...buildDataSourceOptions({ url: endpoint.url, poolSize: 2, migrateOnBoot: false }),
  entities: [join(here, '..', '**', '*.entity.js')],
});

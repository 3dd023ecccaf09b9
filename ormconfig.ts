import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '#src/database/data-source-options.js';

/**
 * DataSource for the TypeORM CLI (`npx typeorm -d dist/ormconfig.js migration:show`).
 * It needs DATABASE_URL; the service and `npm run migration:run` also handle the embedded default.
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must be set to use the TypeORM CLI (npm run migration:run handles the embedded default)');

export default new DataSource(buildDataSourceOptions({ url }));

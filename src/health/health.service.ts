import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ProblemException } from '#src/common/problem-details/problem.js';

@Injectable()
export class HealthService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Ready = the database answers and no migration is pending (SPEC §1). */
  async readiness(): Promise<{ status: 'ready'; database: 'up'; migrations: 'applied' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new ProblemException('service_unavailable', 'The database is unreachable.', { retryAfterSeconds: 5 });
    }
    const pending = await this.dataSource.showMigrations();
    if (pending) {
      throw new ProblemException('service_unavailable', 'Database migrations are pending (npm run migration:run).', { retryAfterSeconds: 5 });
    }
    return { status: 'ready', database: 'up', migrations: 'applied' };
  }
}

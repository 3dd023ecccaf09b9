import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsService } from '#src/metrics/metrics.service.js';
import { OutboxRepository } from './outbox.repository.js';

const STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;

/**
 * The outbox gauges of /metrics, read from the database at scrape time (all orgs: no ids, no
 * names). A scrape while the database is away reports zeros rather than failing the endpoint.
 */
@Injectable()
export class OutboxMetrics {
  constructor(@InjectDataSource() dataSource: DataSource, outbox: OutboxRepository, metrics: MetricsService) {
    const registers = [metrics.registry];
    const em = dataSource.manager;
    new Gauge({
      name: 'factline_outbox_rows', help: 'Outbox rows by status', labelNames: ['status'], registers,
      async collect() {
        const counts = await outbox.countByStatus(em, null).catch(() => null);
        this.reset();
        for (const s of STATUSES) this.set({ status: s }, counts?.[s] ?? 0);
      },
    });
    new Gauge({
      name: 'factline_outbox_lag_seconds', help: 'Age of the oldest unprojected outbox row (0 when none)', registers,
      async collect() {
        this.set(await outbox.lagSeconds(em).catch(() => 0));
      },
    });
  }
}

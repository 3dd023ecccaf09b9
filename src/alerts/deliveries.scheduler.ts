import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { DeliveryWorker } from './deliveries/delivery-worker.service.js';

const INTERVAL_NAME = 'reporting-deliveries';

/**
 * The only timer of alerts and scheduled deliveries (STYLE §9): every
 * REPORTING_DELIVERIES_INTERVAL_MS it calls DeliveryWorker.runOnce, one pass at a time; off with
 * REPORTING_DELIVERIES_ENABLED=false. After a failed pass it backs off (1 s doubling to 30 s).
 */
@Injectable()
export class DeliveriesScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private running?: Promise<void>;
  private stopped = false;
  private failures = 0;
  private pausedUntil = 0;

  constructor(
    private readonly worker: DeliveryWorker,
    private readonly registry: SchedulerRegistry,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.deliveries.enabled) return;
    this.registry.addInterval(INTERVAL_NAME, setInterval(() => this.trigger(), this.config.deliveries.intervalMs));
    this.trigger();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', INTERVAL_NAME)) this.registry.deleteInterval(INTERVAL_NAME);
    this.worker.stop();
    await this.running;
  }

  private trigger(): void {
    if (this.stopped || this.running || Date.now() < this.pausedUntil) return;
    this.running = this.pass().finally(() => {
      this.running = undefined;
    });
  }

  private async pass(): Promise<void> {
    try {
      await this.worker.runOnce();
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      const wait = Math.min(30_000, 1000 * 2 ** (this.failures - 1));
      this.pausedUntil = Date.now() + wait;
      this.logger.emit('warn', 'deliveries pass failed; backing off', { error: String((error as Error)?.message ?? error), backoff_ms: wait });
    }
  }
}

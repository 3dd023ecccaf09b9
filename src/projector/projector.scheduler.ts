import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import pg from 'pg';
import { JsonLogger } from '#src/common/logging/json-logger.js';
import { APP_CONFIG, type AppConfig } from '#src/config/app-config.js';
import { OUTBOX_CHANNEL } from '#src/pipeline/pipeline.vocabulary.js';
import { ProjectorService } from './projector.service.js';

const PRUNE_EVERY_MS = 60_000;

/**
 * The only timer (STYLE §9): an interval from config plus a LISTEN wake-up on ingest; both call
 * ProjectorService.runOnce. A wake-up starts up to REPORTING_PROJECTOR_WORKERS concurrent loops
 * (claims skip each other's rows, so one drains while another claims or commits, and PostgreSQL
 * works on as many cores); a loop goes on while its passes fill their batch or new work was
 * signalled. After a database error it backs off (1 s doubling to 30 s) and resumes by itself.
 */
@Injectable()
export class ProjectorScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = 0;
  private again = false;
  private stopped = false;
  private failures = 0;
  private pausedUntil = 0;
  private lastPrune = 0;
  private listener?: pg.Client;
  private listenRetry?: NodeJS.Timeout;

  constructor(
    private readonly projector: ProjectorService,
    private readonly registry: SchedulerRegistry,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.projector.enabled) return;
    this.registry.addInterval('reporting-projector', setInterval(() => this.trigger(), this.config.projector.intervalMs));
    void this.listen();
    this.trigger();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', 'reporting-projector')) this.registry.deleteInterval('reporting-projector');
    clearTimeout(this.listenRetry);
    const listener = this.listener;
    listener?.removeAllListeners('notification');
    listener?.on('error', () => undefined);
    await listener?.end().catch(() => undefined);
    while (this.running > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /** Coalesces wake-ups: at most `workers` loops at once; a wake-up during their passes keeps one going. */
  trigger(): void {
    if (this.stopped) return;
    this.again = true;
    if (Date.now() < this.pausedUntil) return;
    while (this.running < this.config.projector.workers) {
      this.running += 1;
      void this.loop().finally(() => {
        this.running -= 1;
      });
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.again = false;
      let claimed: number;
      try {
        claimed = (await this.projector.runOnce()).claimed;
        this.failures = 0;
        if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
          this.lastPrune = Date.now();
          await this.projector.prune();
        }
      } catch (error) {
        this.failures += 1;
        const wait = Math.min(30_000, 1000 * 2 ** (this.failures - 1));
        this.pausedUntil = Date.now() + wait;
        this.logger.emit('warn', 'projector pass failed; backing off', { error: String((error as Error)?.message ?? error), backoff_ms: wait });
        return;
      }
      if (claimed < this.config.projector.batchSize && !this.again) return;
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.config.databaseUrl, application_name: 'factline-projector-listen', keepAlive: true });
    this.listener = client;
    const retry = () => {
      client.removeAllListeners();
      // A dying connection may still emit errors (e.g. 57P01 as the server terminates it); an
      // 'error' event without a listener would crash the process.
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (!this.stopped) this.listenRetry = setTimeout(() => void this.listen(), 2000);
    };
    client.on('error', retry);
    client.on('notification', () => this.trigger());
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (this.stopped) retry();
    } catch {
      retry();
    }
  }
}

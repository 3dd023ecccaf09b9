import { Module } from '@nestjs/common';
import { OutboxMetrics } from './outbox.metrics.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';
import { ProjectorScheduler } from './projector.scheduler.js';
import { ProjectorService } from './projector.service.js';
import { RepriceService } from './reprice.service.js';

@Module({ providers: [OutboxRepository, OutboxService, OutboxMetrics, ProjectorService, ProjectorScheduler, RepriceService], exports: [ProjectorService, OutboxService] })
export class ProjectorModule {}

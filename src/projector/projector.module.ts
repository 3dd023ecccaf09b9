import { Module } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository.js';
import { ProjectorScheduler } from './projector.scheduler.js';
import { ProjectorService } from './projector.service.js';

@Module({ providers: [OutboxRepository, ProjectorService, ProjectorScheduler], exports: [ProjectorService, OutboxRepository] })
export class ProjectorModule {}

import { Module } from '@nestjs/common';
import { AppRunsClock } from './app-runs.clock.js';
import { AppRunsController } from './app-runs.controller.js';
import { AppRunsQueryValidator } from './app-runs.input.js';
import { AppRunsService } from './app-runs.service.js';

/** App run history (SPEC §7); reads the canonical apps, app_channels and app_runs tables. */
@Module({ controllers: [AppRunsController], providers: [AppRunsService, AppRunsClock, AppRunsQueryValidator], exports: [AppRunsService] })
export class AppsModule {}

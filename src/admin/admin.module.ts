import { Module } from '@nestjs/common';
import { ProjectorModule } from '#src/projector/projector.module.js';
import { ReportingModule } from '#src/reporting/reporting.module.js';
import { AdminController } from './admin.controller.js';
import { AdminService } from './admin.service.js';

@Module({ imports: [ProjectorModule, ReportingModule], controllers: [AdminController], providers: [AdminService] })
export class AdminModule {}

import { Module } from '@nestjs/common';
import { ReportingModule } from '#src/reporting/reporting.module.js';
import { CreateAlertValidator } from './alert-rules/alert.input.js';
import { AlertsController } from './alert-rules/alerts.controller.js';
import { AlertsService } from './alert-rules/alerts.service.js';
import { DeliveriesController } from './deliveries/deliveries.controller.js';
import { DeliveriesService } from './deliveries/deliveries.service.js';
import { DeliveryWorker } from './deliveries/delivery-worker.service.js';
import { DeliveryRepository } from './deliveries/delivery.repository.js';
import { DeliveriesScheduler } from './deliveries.scheduler.js';
import { DestinationsController } from './destinations/destinations.controller.js';
import { DestinationsService } from './destinations/destinations.service.js';
import { CreateScheduleValidator } from './schedules/schedule.input.js';
import { SchedulesController } from './schedules/schedules.controller.js';
import { SchedulesService } from './schedules/schedules.service.js';

/** SPEC §14: webhook destinations, schedules, threshold alerts and their durable deliveries. */
@Module({
  imports: [ReportingModule],
  controllers: [DestinationsController, SchedulesController, AlertsController, DeliveriesController],
  providers: [
    DestinationsService, SchedulesService, AlertsService, DeliveriesService, DeliveryRepository, DeliveryWorker, DeliveriesScheduler,
    // Run by the global pipe for the DTOs they are named on (@ValidatedBy).
    CreateAlertValidator, CreateScheduleValidator,
  ],
  exports: [DeliveryWorker],
})
export class AlertsModule {}

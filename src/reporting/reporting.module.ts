import { Module } from '@nestjs/common';
import { CatalogService } from './catalog/catalog.service.js';
import { ExportQueryValidator, SavedReportExportValidator } from './export/export.input.js';
import { ExportService } from './export/export.service.js';
import { FreshnessService } from './freshness/freshness.service.js';
import { ReportQueryCache } from './query/report-query.cache.js';
import { PricesController } from './prices/prices.controller.js';
import { PricesService } from './prices/prices.service.js';
import { ReportQueryValidator } from './query/report-query.input.js';
import { ReportQueryService } from './query/report-query.service.js';
import { ReportingController } from './reporting.controller.js';
import { SavedReportsController } from './saved-reports/saved-reports.controller.js';
import { CreateSavedReportValidator, UpdateSavedReportValidator } from './saved-reports/saved-report.input.js';
import { SavedReportsService } from './saved-reports/saved-reports.service.js';

@Module({
  controllers: [ReportingController, SavedReportsController, PricesController],
  providers: [
    CatalogService, FreshnessService, ReportQueryCache, ReportQueryService, ExportService, SavedReportsService, PricesService,
    // Run by the global pipe for the inputs they are named on (@ValidatedBy).
    ReportQueryValidator, ExportQueryValidator, SavedReportExportValidator, CreateSavedReportValidator, UpdateSavedReportValidator,
  ],
  exports: [FreshnessService, ReportQueryService, SavedReportsService, PricesService],
})
export class ReportingModule {}

import { Foundation1732600000000 } from './1732600000000-foundation.js';
import { CanonicalOutboxFacts1732600000001 } from './1732600000001-canonical-outbox-facts.js';
import { SavedReports1732600000002 } from './1732600000002-saved-reports.js';
import { Rollups1732600000003 } from './1732600000003-rollups.js';
import { AppRunHourly1732600000004 } from './1732600000004-app-run-hourly.js';
import { BackfillPositions1732600000005 } from './1732600000005-backfill-positions.js';
import { ApiKeyNames1732600000006 } from './1732600000006-api-key-names.js';
import { Prices1732600000007 } from './1732600000007-prices.js';
import { AlertsDeliveries1732600000008 } from './1732600000008-alerts-deliveries.js';
import { SharedRateLimits1732600000009 } from './1732600000009-shared-rate-limits.js';
import { ServerSecrets1732600000010 } from './1732600000010-server-secrets.js';
import { ProjectionWatermarks1732600000011 } from './1732600000011-projection-watermarks.js';
import { CapabilityUsage1732600000012 } from './1732600000012-capability-usage.js';
import { RollupSketches1732600000013 } from './1732600000013-rollup-sketches.js';
import { FactLocality1732600000014 } from './1732600000014-fact-locality.js';
import { RepriceWork1732600000016 } from './1732600000016-reprice-work.js';
import { RollupLocality1732600000017 } from './1732600000017-rollup-locality.js';
import { DropFactPriceIndex1732600000018 } from './1732600000018-drop-fact-price-index.js';
import { RepriceSessionsNoFk1732600000019 } from './1732600000019-reprice-sessions-no-fk.js';

/** Every migration, in order. Listed explicitly (no globs) so the ESM build and the CLI agree. */
export const MIGRATIONS = [Foundation1732600000000, CanonicalOutboxFacts1732600000001, SavedReports1732600000002, Rollups1732600000003, AppRunHourly1732600000004,
  BackfillPositions1732600000005, ApiKeyNames1732600000006, Prices1732600000007, AlertsDeliveries1732600000008, SharedRateLimits1732600000009, ServerSecrets1732600000010,
  ProjectionWatermarks1732600000011, CapabilityUsage1732600000012, RollupSketches1732600000013, FactLocality1732600000014, RepriceWork1732600000016,
  RollupLocality1732600000017, DropFactPriceIndex1732600000018, RepriceSessionsNoFk1732600000019];

import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { ApiKeyService } from '#src/auth/api-key.service.js';
import { ProgressBar } from '#src/cli/progress-bar.js';
import { toPublicId, uuidv7 } from '#src/common/ids/public-id.js';
import { loadConfig } from '#src/config/app-config.js';
import { buildDataSourceOptions } from '#src/database/data-source-options.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '#src/database/embedded-postgres.js';
import { runMigrations } from '#src/database/migrate.js';
import { rebuildRollup } from '#src/projector/rollups/rollup-maintenance.js';
import { DATASET_BY_NAME } from '#src/reporting/catalog/catalog.js';
import { alertsBench } from './benches/alerts.bench.js';
import { appRunsBench } from './benches/app-runs.bench.js';
import { cacheBench } from './benches/cache.bench.js';
import { backfillBench } from './benches/backfill.bench.js';
import { costBench } from './benches/cost.bench.js';
import { explorerBench, seedDemo } from './benches/explorer.bench.js';
import { exportBench } from './benches/export.bench.js';
import { freshnessBench } from './benches/freshness.bench.js';
import { limitsBench } from './benches/limits.bench.js';
import { localityBench } from './benches/locality.bench.js';
import { mcpBench } from './benches/mcp.bench.js';
import { projectorBench } from './benches/projector.bench.js';
import { queryBench } from './benches/query.bench.js';
import { seriesBench } from './benches/series.bench.js';
import { sketchBench } from './benches/sketch.bench.js';
import { validationBench } from './benches/validation.bench.js';
import { SCALES, type Bench, type BenchContext, type BenchOrg, type Figure } from './support/context.js';
import {
  APP_RUN_HOURLY_SQL, APP_RUNS_SQL, APP_SQL, bulkProject, EVENTS_SQL, FILLER_FACTS_SQL, forgetEmptyPartitionStats, generate, GENERATIONS_SQL, LEDGER_SQL, SESSIONS_SQL,
} from './support/data.js';
import { ROOT, startService, type Service } from './support/service.js';
import { round, timed } from './support/stats.js';

const USAGE = `Usage: npm run bench [-- --quick] [-- --only validation,backfill,query,locality,cache,series,export,app-runs,limits,mcp,sketch,cost,projector,freshness,explorer,alerts] [-- --out <file.json>]

Creates its own PostgreSQL (embedded, in a temporary folder; or BENCH_DATABASE_URL, a database it may fill),
writes the data, starts the built service, runs every bar of SPEC §9 and §16 and prints each figure beside a baseline
measured in the same run. --quick runs everything at a fiftieth of the size (a smoke run; the bars are stated
for the full size). Results also go to bench/results/<full|quick>.json (or --out).`;

const log = (message: string) => process.stderr.write(`${message}\n`);

async function openDatabase(): Promise<{ url: string; close: () => Promise<void> }> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) return { url: given, close: async () => undefined };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'factline-bench-'));
  await chmod(dir, 0o755);
  log(`starting an embedded PostgreSQL in ${dir}`);
  const pg: EmbeddedDatabase = await startEmbeddedPostgres({
    dataDir: dir,
    database: 'factline_bench',
    // Default durability (fsync, synchronous commit): the figures are what a real server does.
    // Fewer checkpoints while ten million rows are written.
    // BENCH_PG_SETTINGS (JSON) adds server settings, e.g. auto_explain to see a slow plan;
    // BENCH_PG_LOG names a file for the server's log.
    settings: { max_wal_size: '8GB', checkpoint_timeout: '30min', ...(JSON.parse(process.env.BENCH_PG_SETTINGS ?? '{}') as Record<string, string>) },
    log: process.env.BENCH_PG_LOG ? (line) => appendFileSync(process.env.BENCH_PG_LOG!, `${line}\n`) : undefined,
  });
  return { url: pg.url, close: async () => { await pg.stop(); await rm(dir, { recursive: true, force: true }); } };
}

async function createOrg(ds: DataSource, keys: ApiKeyService, slug: string): Promise<BenchOrg> {
  const created = await keys.createKey(slug, 'owner');
  return { id: created.orgId, tag: slug, key: created.key };
}

/** Writes every benchmark's data; returns the context the benchmarks read. */
/** `withData` false: the orgs only (benches that bring their own data, e.g. `--only alerts`). */
/** `neighbours` false (`--only cost`): neither the other orgs' facts nor the app runs, which it never reads. */
async function prepare(ds: DataSource, url: string, scaleName: 'full' | 'quick', withData: boolean, neighbours = true): Promise<BenchContext> {
  const scale = SCALES[scaleName];
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const keys = new ApiKeyService(ds, loadConfig({ DATABASE_URL: url }));
  const orgs = {
    big: await createOrg(ds, keys, 'bench-big'),
    apps: await createOrg(ds, keys, 'bench-apps'),
    proj: await createOrg(ds, keys, 'bench-projector'),
    fresh: await createOrg(ds, keys, 'bench-freshness'),
  };
  if (!withData) return { scale, ds, databaseUrl: url, end, orgs, appId: '', appUuid: '', log };
  const step = async (label: string, total: number, work: (progress: (n: number) => void) => Promise<void>) => {
    const bar = new ProgressBar(label, total);
    const t = await timed(() => work((n) => bar.update(n)));
    bar.finish();
    log(`  ${label}: ${round(t.ms / 1000, 1)} s`);
  };
  const b = scale.big;
  await step('big org: sessions', b.sessions, (p) => generate(ds, SESSIONS_SQL(b), orgs.big, end, 30, b.sessions, p));
  await step('big org: generations', b.generations, (p) => generate(ds, GENERATIONS_SQL(b), orgs.big, end, 30, b.generations, p));
  const filler = scale.fillerOrgs * scale.fillerFacts;
  let fillerDone = 0;
  if (!neighbours) log(`  --only cost: the ${scale.fillerOrgs} other orgs' facts and the app runs are not loaded (the cost bench reads neither)`);
  if (neighbours) await step(`${scale.fillerOrgs} other orgs: facts`, filler, async (p) => {
    for (let i = 0; i < scale.fillerOrgs; i++) {
      const org = { id: uuidv7(), tag: `bench-other-${i}` };
      await ds.query(`INSERT INTO orgs (id, slug, name) VALUES ($1, $2, $2)`, [org.id, org.tag]);
      await generate(ds, FILLER_FACTS_SQL(b), org, end, 30, scale.fillerFacts, (n) => p(fillerDone + n));
      fillerDone += scale.fillerFacts;
      await rebuildRollup(ds, DATASET_BY_NAME.get('llm_generations')!, org.id);
    }
  });
  if (neighbours) await step('app runs', scale.appRuns, async (p) => {
    await ds.query(APP_SQL, [orgs.apps.id, orgs.apps.tag]);
    await generate(ds, APP_RUNS_SQL, orgs.apps, end, 7, scale.appRuns, p);
    await ds.query(APP_RUN_HOURLY_SQL, [orgs.apps.id]);
  });
  const q = scale.proj;
  const projRows = q.sessions + q.events + q.generations + q.ledger;
  await step('projector org: canonical rows', projRows, async (p) => {
    await generate(ds, SESSIONS_SQL(q), orgs.proj, end, 30, q.sessions);
    p(q.sessions);
    await generate(ds, EVENTS_SQL(q), orgs.proj, end, 30, q.events);
    p(q.sessions + q.events);
    await generate(ds, GENERATIONS_SQL(q), orgs.proj, end, 30, q.generations);
    p(q.sessions + q.events + q.generations);
    await generate(ds, LEDGER_SQL(q), orgs.proj, end, 30, q.ledger);
    p(projRows);
  });
  // Visibility map and statistics as autovacuum would leave them on a running system (bulk
  // loading leaves neither; index-only scans and plans depend on both).
  await ds.query('VACUUM ANALYZE');
  await forgetEmptyPartitionStats(ds);
  if (!neighbours) return { scale, ds, databaseUrl: url, end, orgs, appId: '', appUuid: '', log };
  const [{ id: appUuid }] = await ds.query(`SELECT id FROM apps WHERE org_id = $1`, [orgs.apps.id]);
  return { scale, ds, databaseUrl: url, end, orgs, appId: toPublicId('app', appUuid), appUuid, log };
}

/**
 * Before each write bench: the background work the previous bench left — autovacuum of the rows it
 * rewrote, its dirty pages — done first, so each figure times its own work. The cost bench re-prices
 * a million facts; the projector drain right after it ran beside autovacuum of that partition
 * (12,799 rows/s in the 2026-11-30 04:01 run against 21,016 with nothing before it). The same
 * VACUUM ANALYZE the harness runs after loading, then a checkpoint.
 */
async function settle(ds: DataSource): Promise<number> {
  const t = await timed(async () => {
    await ds.query('VACUUM ANALYZE');
    await forgetEmptyPartitionStats(ds);
    await ds.query('CHECKPOINT');
  });
  return t.ms;
}

function print(figures: Figure[]): void {
  const out: string[] = [];
  for (const f of figures) {
    out.push(`■ ${f.name}  [${f.pass ? 'bar met' : 'bar MISSED'}]`);
    out.push(`    bar       ${f.bar}`);
    out.push(`    figure    ${f.figure}`);
    out.push(`    baseline  ${f.baseline}`);
    out.push(`    ratio     ${f.ratio} (${f.ratioLabel})`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scaleName = values.quick ? 'quick' : 'full';
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const figures: Figure[] = [];
  const started = Date.now();
  // Benches that need no database or service (in-process) run first; `--only validation` runs just them, in seconds.
  if (!only || only.has('validation')) {
    log('running validation…');
    figures.push(...(await validationBench(scaleName === 'quick')));
  }
  if (only && [...only].every((n) => n === 'validation')) {
    print(figures);
    return;
  }
  const db = await openDatabase();
  const applied = await runMigrations(db.url);
  log(`migrations: ${applied.length} applied`);
  const ds = new DataSource(buildDataSourceOptions({ url: db.url, poolSize: 4, applicationName: 'factline-bench' }));
  await ds.initialize();
  let service: Service | undefined;
  try {
    const wanted = (b: { name: string }) => !only || only.has(b.name.replace(' ', '-'));
    // The explorer reads the demo data only and the alerts bench writes its own: `--only explorer`
    // skips the bulk data and every service below, `--only alerts` writes no other bench's data.
    const ownData = new Set(['alerts', 'explorer']);
    if (!only || [...only].some((name) => name !== 'explorer')) {
      const ctx = await prepare(ds, db.url, scaleName, !only || [...only].some((name) => !ownData.has(name)), !only || [...only].some((name) => name !== 'cost'));
      const runBench = async (b: Bench, s: Service) => {
        if (!wanted(b)) return;
        log(`running ${b.name}…`);
        figures.push(...(await b.run(ctx, s)));
      };
      // Reads, with the projector off so nothing else runs.
      // Deliveries off until the alerts bench: no other instance may take its alerts.
      service = await startService({ DATABASE_URL: db.url, REPORTING_PROJECTOR_ENABLED: 'false', REPORTING_DELIVERIES_ENABLED: 'false' });
      await runBench(backfillBench, service); // before the big org's facts exist: everything is missing
      const projected = await timed(() => bulkProject(ds, ctx.orgs.big.id));
      log(`  big org projected in bulk: ${projected.value} rows in ${round(projected.ms / 1000, 1)} s`);
      // The backfill's outbox rows were deleted and the facts written in bulk: vacuum, as
      // autovacuum would before long, so the reads below do not pay for dead tuples.
      await ds.query('VACUUM ANALYZE');
      await forgetEmptyPartitionStats(ds);
      for (const b of [queryBench, localityBench, cacheBench, seriesBench, exportBench, appRunsBench, limitsBench, mcpBench, sketchBench]) await runBench(b, service);
      await service.stop();
      // Writes, with the scheduled projector on, as deployed.
      service = await startService({ DATABASE_URL: db.url, REPORTING_PROJECTOR_ENABLED: 'true', REPORTING_DELIVERIES_ENABLED: 'false' });
      for (const b of [costBench, projectorBench, freshnessBench]) {
        if (wanted(b)) log(`  settled before ${b.name} in ${round((await settle(ds)) / 1000, 1)} s`);
        await runBench(b, service);
      }
      await service.stop();
      // Alerts and deliveries (SPEC §16), one instance with its worker on; the receiver is on 127.0.0.1.
      service = await startService({ DATABASE_URL: db.url, REPORTING_PROJECTOR_ENABLED: 'false', WEBHOOK_ALLOW_PRIVATE: 'true' });
      await runBench(alertsBench, service);
      await service.stop();
      service = undefined;
    }
    if (wanted(explorerBench)) {
      log('running explorer… (demo seed, then headless Chromium)');
      const key = await seedDemo(db.url);
      service = await startService({ DATABASE_URL: db.url, REPORTING_PROJECTOR_ENABLED: 'true', REPORTING_DELIVERIES_ENABLED: 'false' });
      figures.push(...(await explorerBench.run({ databaseUrl: db.url, scale: SCALES[scaleName], log }, service, key)));
    }
  } finally {
    await service?.stop().catch(() => undefined);
    const [{ version }] = await ds.query('SELECT version()').catch(() => [{ version: 'unknown' }]);
    await ds.destroy();
    await db.close();
    const machine = {
      date: new Date().toISOString(),
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
      memory_gib: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      postgres: String(version).split(',')[0],
      scale: scaleName,
      total_seconds: Math.round((Date.now() - started) / 1000),
    };
    print(figures);
    const results = { machine, figures: figures.map(({ plans: _plans, ...f }) => f) };
    const out = values.out ?? path.join(ROOT, `bench/results/${scaleName}.json`);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    const plans = figures.flatMap((f) => Object.entries(f.plans ?? {}).map(([label, plan]) => `=== ${f.name}: ${label}\n${plan}\n`));
    const plansOut = out.replace(/\.json$/, '') + '-plans.txt';
    await writeFile(plansOut, `EXPLAIN (ANALYZE, BUFFERS), ${machine.date}\n\n${plans.join('\n')}`);
    process.stdout.write(`machine: ${JSON.stringify(machine)}\nresults: ${out}; query plans: ${plansOut}\n`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);

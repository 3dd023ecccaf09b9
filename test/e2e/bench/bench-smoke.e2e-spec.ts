import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, spawnNode } from '../../support/processes.js';

const BENCH_JS = path.join(ROOT, 'dist/bench/run.js');

/**
 * The benchmark harness in quick mode (issue 7): it creates its own database and data, starts the
 * service and produces every figure of SPEC §9 with a baseline and a ratio. Nothing here asserts
 * on speed — these machines are shared — only that each figure is measured and reported.
 */
describe('npm run bench -- --quick', () => {
  it('prints every SPEC §9 figure beside a baseline measured in the same run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'factline-bench-smoke-'));
    try {
      const out = path.join(dir, 'quick.json');
      const proc = spawnNode(BENCH_JS, ['--quick', '--out', out], {});
      const { code } = await proc.exited;
      expect({ code, stderr: code === 0 ? '' : proc.stderr() }).toEqual({ code: 0, stderr: '' });
      const results = JSON.parse(await readFile(out, 'utf8')) as {
        machine: Record<string, unknown>;
        figures: { name: string; bar: string; figure: string; baseline: string; ratio: number; ratioLabel: string; pass: boolean }[];
      };
      expect(results.figures.map((f) => f.name)).toEqual([
        'validation: 5,000 valid generations',
        'validation: 5,000 invalid sessions (20 worded, the rest counted)',
        'validation: ≈349,000 empty records (count refused first)',
        'validation: one app with ≈200,000 channels (nested count refused first)',
        'backfill enqueue',
        'rollup query (30-day day × model)',
        'unaligned covered query (30-day day × model at :37)',
        'daily rollup level? (day × model, 30 and 365 days)',
        'uncovered query (p95 duration by user)',
        'facts vs canonical (30-day day × model report)',
        'org locality (uncovered query vs an org-only table)',
        'columnar reference (DuckDB, same rows)',
        'cached repeat (30-day day × model)',
        'compare: previous_period (15-day day × model, covered)',
        'top 3 models with other (15-day day × model, covered)',
        'compare: previous_period (15-day day × model, uncovered)',
        'top 3 models with other (15-day day × model, uncovered)',
        'streaming CSV export',
        'app runs 7-day histogram',
        'shared limits overhead',
        'run_report_query through MCP',
        'sketch percentile p95 vs exact',
        'sketch upkeep in the projector',
        'cost: projection with prices',
        'cost: re-pricing',
        'projector drain',
        'projector before and after issue 18',
        'freshness under sustained ingest',
        'alerts evaluated per minute (one instance)',
        'scheduled delivery after its tick',
        'explorer JavaScript shipped',
        'explorer first chart after sign-in',
      ]);
      for (const f of results.figures) {
        expect({ name: f.name, ratioIsNumber: Number.isFinite(f.ratio) && f.ratio > 0, bar: f.bar.length > 0, figure: f.figure.length > 0, baseline: f.baseline.length > 0 })
          .toEqual({ name: f.name, ratioIsNumber: true, bar: true, figure: true, baseline: true });
        expect(proc.stdout()).toContain(`■ ${f.name}`);
      }
      expect(results.machine).toMatchObject({ scale: 'quick', node: process.version });
      // The query plans behind the figures, for BENCHMARKS.md: each one an EXPLAIN ANALYZE that ran.
      const plans = (await readFile(path.join(dir, 'quick-plans.txt'), 'utf8')).split(/^=== /m).slice(1);
      expect(plans.map((p) => p.slice(0, p.indexOf('\n')))).toEqual([
        "backfill enqueue: a call's walk over generations (100,000 picked, nothing waiting)",
        'backfill enqueue: the walk over every generation, all waiting',
        'rollup query (30-day day × model): day × model from the rollup (what the API runs)',
        'rollup query (30-day day × model): day × model from the facts',
        'rollup query (30-day day × model): p95 duration by user from the facts (what the API runs)',
        'rollup query (30-day day × model): day × model from canonical llm_generations',
        'rollup query (30-day day × model): day × agent_name from the facts',
        'rollup query (30-day day × model): day × agent_name from canonical tables',
        'unaligned covered query (30-day day × model at :37): unaligned day × model, rollup+facts (what the API runs)',
        'org locality (uncovered query vs an org-only table): p95 duration by user over the partitioned facts (what the API runs)',
        "org locality (uncovered query vs an org-only table): the same SQL over a table of the org's rows only",
        "cached repeat (30-day day × model): the org's freshness + watermark probe (read with the key on every query, hit or miss)",
        'app runs 7-day histogram: hourly histogram (what the API runs)',
        'app runs 7-day histogram: histogram counted from app_runs',
      ]);
      for (const plan of plans) expect(plan).toMatch(/Execution Time: [\d.]+ ms/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000); // a guard against a hang: the quick run took over 300 s beside the rest of the suite on a busy 2-core host
});

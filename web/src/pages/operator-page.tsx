import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { BackfillResult, Diagnostics, OutboxRetryResult, Problem, ProjectorRunResult } from '../api/types.js';
import { FieldProblems, ProblemBox } from '../components/problem.js';
import { formatCount, formatDuration, formatInstant, formatLag } from '../format.js';

export function OperatorPage() {
  const [diag, setDiag] = useState<Diagnostics | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [projectLimit, setProjectLimit] = useState('1000');
  const [backfillLimit, setBackfillLimit] = useState('1000');

  const refresh = async () => {
    const res = await api<Diagnostics>('GET', '/v1/reports/admin/diagnostics');
    if (res.ok) setDiag(res.data);
    else setProblem(res.problem);
  };
  useEffect(() => void refresh(), []);

  const act = async <T,>(call: Promise<import('../api/client.js').ApiResult<T>>, say: (t: T) => string) => {
    const res = await call;
    if (res.ok) {
      setProblem(null);
      setNote(say(res.data));
      await refresh();
    } else {
      setNote(null);
      setProblem(res.problem);
    }
  };
  const runProjector = (e: Event) => {
    e.preventDefault();
    void act(api<ProjectorRunResult>('POST', `/v1/reports/projector/run?limit=${encodeURIComponent(projectLimit)}`), (r) => `Projector: claimed ${formatCount(r.claimed)}, completed ${formatCount(r.completed)}, failed ${formatCount(r.failed)}.`);
  };
  const backfill = (e: Event) => {
    e.preventDefault();
    void act(api<BackfillResult>('POST', '/v1/reports/admin/backfill', { limit: Number(backfillLimit) }), (r) => `Backfill enqueued ${formatCount(r.enqueued)} rows.`);
  };
  const retry = (ids?: string[]) => void act(api<OutboxRetryResult>('POST', '/v1/reports/admin/outbox/retry', ids ? { ids } : {}), (r) => `Moved ${formatCount(r.retried)} failed rows back to pending.`);

  return (
    <section class="page" aria-labelledby="operator-title">
      <h1 id="operator-title">Operator</h1>
      {note ? <p class="note" role="status">{note}</p> : null}
      <ProblemBox problem={problem} claimed={['/query/limit', '/limit']} />
      {diag ? (
        <>
          <h2>Freshness by dataset</h2>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Freshness by dataset">
            <table class="data" data-testid="freshness-table">
              <thead><tr><th scope="col">Dataset</th><th scope="col">As of (UTC)</th><th scope="col">Lag</th></tr></thead>
              <tbody>
                {diag.datasets.map((d) => (
                  <tr key={d.dataset}><td>{d.dataset}</td><td>{formatInstant(d.as_of, 'UTC')}</td><td>{formatLag(d.freshness_lag_ms)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Outbox</h2>
          <div class="kpis" data-testid="outbox">
            {(['pending', 'processing', 'completed', 'failed'] as const).map((s) => (
              <div class="kpi" key={s}><span class="kpi-label">{s}</span><span class="kpi-value">{formatCount(diag.outbox[s])}</span></div>
            ))}
            <div class="kpi"><span class="kpi-label">oldest pending</span><span class="kpi-value">{diag.oldest_pending_age_ms === null ? '—' : formatDuration(diag.oldest_pending_age_ms)}</span></div>
          </div>
          <div class="row">
            <form class="inline" onSubmit={runProjector} noValidate>
              <label>Rows to claim <input type="number" min={1} max={5000} value={projectLimit} onInput={(e) => setProjectLimit(e.currentTarget.value)} aria-describedby="err-project" /></label>
              <button type="submit">Run projector</button>
              <FieldProblems id="err-project" problem={problem} pointer="/query/limit" />
            </form>
            <form class="inline" onSubmit={backfill} noValidate>
              <label>Rows to enqueue <input type="number" min={1} max={100000} value={backfillLimit} onInput={(e) => setBackfillLimit(e.currentTarget.value)} aria-describedby="err-backfill" /></label>
              <button type="submit">Backfill</button>
              <FieldProblems id="err-backfill" problem={problem} pointer="/limit" />
            </form>
          </div>
          <h2>Failed rows</h2>
          {diag.recent_failures.length === 0 ? (
            <div class="empty"><strong>No failed rows.</strong><p>Rows that fail projection after every retry show here with their last error, ready to retry.</p></div>
          ) : (
            <>
              <button type="button" onClick={() => retry()}>Retry all failed rows</button>
              <div class="table-wrap" tabIndex={0} role="region" aria-label="Failed rows">
                <table class="data" data-testid="failed-table">
                  <thead><tr><th scope="col">Source</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th><th scope="col">Failed at (UTC)</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
                  <tbody>
                    {diag.recent_failures.map((f) => (
                      <tr key={f.id}>
                        <td>{f.source_type} <code>{f.source_id}</code></td>
                        <td class="num">{f.attempts}</td>
                        <td>{f.last_error ?? ''}</td>
                        <td>{formatInstant(f.updated_at, 'UTC')}</td>
                        <td><button type="button" class="secondary" onClick={() => retry([f.id])} aria-label={`Retry ${f.source_id}`}>Retry</button></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      ) : problem ? null : <p aria-busy="true">Loading…</p>}
    </section>
  );
}

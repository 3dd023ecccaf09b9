import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { Catalog, Problem, ReportQuery, ReportResult, SavedReport, SavedReportList, StoredReportQuery } from '../api/types.js';
import { calendarRange, isCalendarRange } from '../../../src/reporting/query/time-range.js';
import { FieldProblems, ProblemBox } from '../components/problem.js';
import { describeOptions } from '../explore/options.js';
import { exploreHref } from '../explore/query-url.js';
import { ResultView } from '../explore/result-view.js';
import { navigate } from '../router.js';
import { formatInstant } from '../format.js';

const HOUR = 3_600_000;
const UNIT_MS: Record<string, number> = { m: 60_000, h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR };

/**
 * A stored relative range opens in Explore as the absolute range it means now: `{"last": "7d"}`
 * ending now, `{"calendar": …}` by the same rule the server uses (one implementation, shared).
 */
function openable(query: StoredReportQuery): ReportQuery {
  const range = query.time_range as { from?: string; to?: string; last?: string; calendar?: string };
  const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (range.calendar !== undefined && isCalendarRange(range.calendar)) {
    const r = calendarRange(range.calendar, new Date(), query.timezone ?? 'UTC');
    return { ...query, time_range: { from: iso(r.from.getTime()), to: iso(r.to.getTime()) } };
  }
  const m = range.last ? /^(\d+)([mhdw])$/.exec(range.last) : null;
  if (!m) return { ...query, time_range: { from: range.from ?? '', to: range.to ?? '' } };
  const to = Date.now();
  return { ...query, time_range: { from: iso(to - Number(m[1]) * UNIT_MS[m[2]]), to: iso(to) } };
}

export function SavedPage({ catalog, canManage }: { catalog: Catalog; canManage: boolean }) {
  const [reports, setReports] = useState<SavedReport[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [ran, setRan] = useState<{ report: SavedReport; result: ReportResult } | null>(null);

  const load = async (cursor?: string) => {
    const res = await api<SavedReportList>('GET', `/v1/reports/saved${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (!res.ok) return setProblem(res.problem);
    setProblem(null);
    setReports((prev) => (cursor ? [...(prev ?? []), ...res.data.data] : res.data.data));
    setNext(res.data.next_cursor);
  };
  useEffect(() => void load(), []);

  const run = async (r: SavedReport) => {
    const res = await api<ReportResult>('POST', `/v1/reports/saved/${r.id}/run`);
    if (res.ok) setRan({ report: r, result: res.data });
    else setProblem(res.problem);
  };

  return (
    <section class="page" aria-labelledby="saved-title">
      <h1 id="saved-title">Saved reports</h1>
      <ProblemBox problem={problem} />
      {reports === null ? <p aria-busy="true">Loading…</p> : null}
      {reports?.length === 0 ? (
        <div class="empty" data-testid="empty">
          <strong>No saved reports yet.</strong>
          <p>{canManage ? 'Build a query in Explore and use “Save report”.' : 'Your key can read saved reports but not create them; ask an owner or admin to save one.'}</p>
        </div>
      ) : null}
      {reports && reports.length > 0 ? (
        <ul class="reports" data-testid="saved-list">
          {reports.map((r) => (
            <SavedRow key={r.id} report={r} canManage={canManage} onRun={() => run(r)}
              onChanged={(updated) => setReports((list) => (updated ? list!.map((x) => (x.id === r.id ? updated : x)) : list!.filter((x) => x.id !== r.id)))} />
          ))}
        </ul>
      ) : null}
      {next ? <button type="button" class="secondary" onClick={() => load(next)}>Load more</button> : null}
      {ran ? (
        <section aria-labelledby="ran-title">
          <h2 id="ran-title">{ran.report.name}</h2>
          <ResultView result={ran.result} dataset={catalog.datasets.find((d) => d.name === ran.report.query.dataset)} timeZone={(ran.report.query as ReportQuery).timezone ?? 'UTC'} />
        </section>
      ) : null}
    </section>
  );
}

function SavedRow({ report, canManage, onRun, onChanged }: { report: SavedReport; canManage: boolean; onRun: () => void; onChanged: (r: SavedReport | null) => void }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(report.name);
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const query = report.query as StoredReportQuery;

  const rename = async (e: Event) => {
    e.preventDefault();
    const res = await api<SavedReport>('PATCH', `/v1/reports/saved/${report.id}`, { name });
    if (!res.ok) return setProblem(res.problem);
    setProblem(null);
    setRenaming(false);
    onChanged(res.data);
  };
  const remove = async () => {
    const res = await api('DELETE', `/v1/reports/saved/${report.id}`);
    if (!res.ok) return setProblem(res.problem);
    onChanged(null);
  };

  return (
    <li class="report" data-id={report.id}>
      <div class="report-head">
        {renaming ? (
          <form onSubmit={rename} class="inline">
            <label>
              New name
              <input value={name} onInput={(e) => setName(e.currentTarget.value)} aria-describedby={problem ? `err-name-${report.id}` : undefined} />
            </label>
            <button type="submit">Save name</button>
            <button type="button" class="secondary" onClick={() => { setRenaming(false); setName(report.name); setProblem(null); }}>Cancel</button>
            <FieldProblems id={`err-name-${report.id}`} problem={problem} pointer="/name" />
          </form>
        ) : (
          <strong class="report-name">{report.name}</strong>
        )}
        <span class="meta">
          {query.dataset}{describeOptions(query) ? ` · ${describeOptions(query)}` : ''} · updated {formatInstant(report.updated_at, 'UTC')} UTC
        </span>
      </div>
      {report.description ? <p class="meta">{report.description}</p> : null}
      <div class="actions">
        <a class="button secondary" href={exploreHref(openable(query))} onClick={(e) => { e.preventDefault(); navigate(exploreHref(openable(query))); }}>
          Open in Explore
        </a>
        <button type="button" class="secondary" onClick={onRun}>Run</button>
        {canManage && !renaming ? <button type="button" class="secondary" onClick={() => setRenaming(true)} aria-label={`Rename ${report.name}`}>Rename</button> : null}
        {canManage ? (
          confirming ? (
            <>
              <button type="button" class="danger" onClick={remove}>Confirm delete</button>
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>Keep it</button>
            </>
          ) : (
            <button type="button" class="secondary" onClick={() => setConfirming(true)} aria-label={`Delete ${report.name}`}>Delete</button>
          )
        ) : null}
      </div>
      <ProblemBox problem={problem} claimed={['/name']} />
    </li>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { AppRunList, Problem, ReportResult } from '../api/types.js';
import { Chart } from '../components/chart.js';
import { FieldProblems, ProblemBox } from '../components/problem.js';
import { formatCount, formatDuration, formatInstant } from '../format.js';
import { navigate } from '../router.js';

const WINDOWS = ['1h', '6h', '24h', '7d', '30d'];
const PAGE = 50;

/**
 * There is no list-apps route: the apps come from a report by the `app` dimension over the last
 * 30 days of sessions, and any other id can be pasted. The app and window live in the URL.
 */
function useKnownApps(enabled: boolean): string[] {
  const [apps, setApps] = useState<string[]>([]);
  useEffect(() => {
    if (!enabled) return;
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
    const from = new Date(to.getTime() - 30 * 86_400_000);
    void api<ReportResult>('POST', '/v1/reports/query', {
      dataset: 'sessions', time_range: { from: from.toISOString(), to: to.toISOString() }, dimensions: ['app'], measures: ['session_count'],
      filters: [{ field: 'app', op: 'is_null', value: false }], limit: 100,
    }).then((res) => res.ok && setApps(res.data.rows.map((r) => String(r.app))));
  }, [enabled]);
  return apps;
}

export function AppsPage({ search, canQuery }: { search: URLSearchParams; canQuery: boolean }) {
  const app = search.get('app') ?? '';
  const window = search.get('window') ?? '24h';
  const known = useKnownApps(canQuery);
  const [input, setInput] = useState(app);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<AppRunList | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => setInput(app), [app]);
  useEffect(() => {
    setCursors([null]);
    setPage(null);
    setProblem(null);
    if (app) void load(null);
  }, [app, window]);

  const load = async (cursor: string | null) => {
    const qs = new URLSearchParams({ window, group_by: 'hour', limit: String(PAGE) });
    if (cursor) qs.set('cursor', cursor);
    const res = await api<AppRunList>('GET', `/v1/apps/${encodeURIComponent(app)}/runs?${qs}`);
    if (res.ok) {
      setPage(res.data);
      setProblem(null);
    } else {
      setPage(null);
      setProblem(res.problem);
    }
  };
  const go = (next: { app?: string; window?: string }) => {
    const qs = new URLSearchParams({ app: next.app ?? app, window: next.window ?? window });
    navigate(`/apps?${qs}`);
  };
  const older = () => {
    const c = page?.next_cursor ?? null;
    setCursors((s) => [...s, c]);
    void load(c);
  };
  const newer = () => {
    const s = cursors.slice(0, -1);
    setCursors(s);
    void load(s[s.length - 1] ?? null);
  };
  const buckets = page?.buckets ?? [];
  const appPointer = problem?.code === 'invalid_app_id' || problem?.code === 'app_not_found';

  return (
    <section class="page" aria-labelledby="apps-title">
      <h1 id="apps-title">App runs</h1>
      <form class="row" onSubmit={(e) => { e.preventDefault(); go({ app: input.trim() }); }}>
        <label class="grow">
          App id
          <input list="known-apps" value={input} onInput={(e) => setInput(e.currentTarget.value)} placeholder="app_…" spellcheck={false}
            aria-invalid={appPointer ? 'true' : undefined} aria-describedby={appPointer ? 'err-app' : undefined} />
          <datalist id="known-apps">{known.map((a) => <option key={a} value={a} />)}</datalist>
          {appPointer ? <div class="field-errors" id="err-app" role="alert"><p>{problem!.detail ?? problem!.title}</p></div> : null}
        </label>
        <label>
          Window
          <select value={window} onChange={(e) => go({ window: e.currentTarget.value })}>
            {WINDOWS.map((w) => <option key={w}>{w}</option>)}
          </select>
        </label>
        <button type="submit">Show runs</button>
      </form>
      {!app ? (
        <div class="empty" data-testid="empty">
          <strong>Pick an app.</strong>
          <p>{known.length ? 'Choose one of the apps seen in the last 30 days, or paste an app id.' : 'Paste an app id (app_…). Apps arrive through POST /v1/ingest/apps; npm run seed creates demo apps.'}</p>
        </div>
      ) : null}
      {!appPointer ? <ProblemBox problem={problem} /> : null}
      <FieldProblems id="err-window" problem={problem} pointer="/query/window" />
      {page ? (
        <>
          <p class="freshness">
            {formatCount(buckets.reduce((s, b) => s + b.ok + b.err + b.running, 0))} runs in the last {window}: {formatCount(buckets.reduce((s, b) => s + b.ok, 0))} ok,{' '}
            {formatCount(buckets.reduce((s, b) => s + b.err, 0))} err, {formatCount(buckets.reduce((s, b) => s + b.running, 0))} running (hours in UTC)
          </p>
          <Chart x={buckets.map((b) => b.hour)} kind="stacked" valueKind="count" timeZone="UTC" grain="hour" title="Runs per hour by status"
            series={[{ label: 'ok', values: buckets.map((b) => b.ok) }, { label: 'err', values: buckets.map((b) => b.err) }, { label: 'running', values: buckets.map((b) => b.running) }]} />
          {page.data.length === 0 ? (
            <div class="empty"><strong>No runs in this window.</strong><p>Pick a longer window.</p></div>
          ) : (
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Runs">
              <table class="data" data-testid="runs-table">
                <thead><tr><th scope="col">Started (UTC)</th><th scope="col">Status</th><th scope="col">Channel</th><th scope="col" class="num">Duration</th><th scope="col">Run</th></tr></thead>
                <tbody>
                  {page.data.map((r) => (
                    <tr key={r.id}>
                      <td>{formatInstant(r.created_at, 'UTC')}</td>
                      <td><span class={`status ${r.status}`}>{r.status}</span></td>
                      <td>{r.channel_name ?? '(unnamed)'} <span class="meta">{r.channel_type ?? ''}</span></td>
                      <td class="num">{r.completed_at ? formatDuration(Date.parse(r.completed_at) - Date.parse(r.created_at)) : '—'}</td>
                      <td><code>{r.id}</code></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="actions">
            <button type="button" class="secondary" disabled={cursors.length <= 1} onClick={newer}>Newer</button>
            <span class="meta">Page {cursors.length}</span>
            <button type="button" class="secondary" disabled={!page.next_cursor} onClick={older}>Older</button>
          </div>
        </>
      ) : null}
    </section>
  );
}

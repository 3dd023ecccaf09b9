import { useEffect, useRef, useState } from 'preact/hooks';
import { api, downloadCsv } from '../api/client.js';
import type { Catalog, Problem, ReportQuery, ReportResult, SavedReport } from '../api/types.js';
import { FieldProblems, ProblemBox } from '../components/problem.js';
import { navigate } from '../router.js';
import { decodeQuery, encodeQuery, exploreHref } from './query-url.js';
import { CLAIMED_POINTERS, defaultQuery, QueryForm } from './query-form.js';
import { ResultView } from './result-view.js';

/** A page is a function of (URL, API responses): the query comes from `?q=`, the result from the API. */
export function ExplorePage({ catalog, q, canSave }: { catalog: Catalog; q: string | null; canSave: boolean }) {
  const fromUrl = decodeQuery(q);
  const [draft, setDraft] = useState<ReportQuery>(() => fromUrl ?? defaultQuery(catalog));
  const [result, setResult] = useState<{ query: ReportQuery; data: ReportResult } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const seq = useRef(0);

  const run = async (query: ReportQuery) => {
    const mine = ++seq.current;
    setBusy(true);
    setNote(null);
    const res = await api<ReportResult>('POST', '/v1/reports/query', query);
    if (mine !== seq.current) return; // a newer run superseded this one
    setBusy(false);
    if (res.ok) {
      setProblem(null);
      setResult({ query, data: res.data });
    } else {
      setProblem(res.problem);
      setResult(null);
    }
  };

  // The URL is the source of truth: a new ?q= (a link, back/forward, Run) resets the form and runs.
  useEffect(() => {
    const query = decodeQuery(q);
    if (!query) {
      navigate(exploreHref(defaultQuery(catalog)), true);
      return;
    }
    setDraft(query);
    void run(query);
  }, [q]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (q === encodeQuery(draft)) void run(draft);
    else navigate(exploreHref(draft));
  };

  const download = async () => {
    setNote('Preparing CSV…');
    const res = await downloadCsv('/v1/reports/query/export', { format: 'csv', query: draft });
    if (res.ok) setNote(`Downloaded ${res.data.filename} (${res.data.bytes.toLocaleString('en-US')} bytes).`);
    else {
      setNote(null);
      setProblem(unwrapQueryPointers(res.problem));
    }
  };

  const dataset = catalog.datasets.find((d) => d.name === (result?.query.dataset ?? draft.dataset));
  return (
    <section class="page" aria-labelledby="explore-title">
      <h1 id="explore-title">Explore</h1>
      <form onSubmit={submit} aria-busy={busy} noValidate>
        <QueryForm catalog={catalog} query={draft} problem={problem} onChange={setDraft} />
        <div class="actions">
          <button type="submit" disabled={busy}>{busy ? 'Running…' : 'Run query'}</button>
          <button type="button" class="secondary" onClick={download}>Download CSV</button>
          {note ? <span class="note" role="status">{note}</span> : null}
        </div>
      </form>
      <ProblemBox problem={problem} claimed={CLAIMED_POINTERS} />
      {canSave ? <SaveForm query={draft} /> : null}
      {result && !problem ? <ResultView result={result.data} dataset={dataset} timeZone={result.query.timezone ?? 'UTC'} /> : null}
    </section>
  );
}

/** The export body wraps the query, so its pointers start with /query; the form's fields do not. */
function unwrapQueryPointers(p: Problem): Problem {
  return p.errors ? { ...p, errors: p.errors.map((e) => ({ ...e, pointer: e.pointer.replace(/^\/query(?=\/|$)/, '') })) } : p;
}

function SaveForm({ query }: { query: ReportQuery }) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saved, setSaved] = useState<SavedReport | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const res = await api<SavedReport>('POST', '/v1/reports/saved', { name, query });
    if (res.ok) {
      setSaved(res.data);
      setProblem(null);
      setName('');
    } else {
      setProblem(res.problem);
      setSaved(null);
    }
  };
  return (
    <form class="save-form" onSubmit={save} aria-label="Save this query">
      <label>
        Save as
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Report name" aria-describedby={problem?.errors?.some((x) => x.pointer === '/name') ? 'err-save-name' : undefined} />
        <FieldProblems id="err-save-name" problem={problem} pointer="/name" />
      </label>
      <button type="submit" class="secondary">Save report</button>
      {saved ? (
        <span class="note" role="status">
          Saved “{saved.name}”. <a href="/saved" onClick={(e) => { e.preventDefault(); navigate('/saved'); }}>See saved reports</a>
        </span>
      ) : null}
      <ProblemBox problem={problem} claimed={['/name']} />
    </form>
  );
}

import { useState } from 'preact/hooks';
import type { Catalog, CompareMode, Dataset, Filter, FilterOp, Problem, ReportQuery } from '../api/types.js';
import { errorsAt, FieldProblems } from '../components/problem.js';
import { availability, followSelection, GRAINS, type Availability } from './options.js';
import { fromLocalInput, isValidZone, PRESETS, presetOf, presetRange, toLocalInput, type Preset } from './time-range.js';

const ZONES: string[] = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? ['UTC'];

/** Pointers the form shows next to its controls; the rest go to the page's problem box. */
export const CLAIMED_POINTERS = ['/dataset', '/time_range', '/timezone', '/dimensions', '/measures', '/filters', '/limit', '/compare', '/cumulative', '/top'];

export function defaultQuery(catalog: Catalog, datasetName?: string, keep?: Pick<ReportQuery, 'time_range' | 'timezone'>): ReportQuery {
  const ds = catalog.datasets.find((d) => d.name === datasetName) ?? catalog.datasets[0];
  const timezone = keep?.timezone ?? 'UTC';
  return {
    dataset: ds.name,
    time_range: keep?.time_range ?? presetRange('last_7d', timezone),
    timezone,
    dimensions: ds.granularities.includes('day') ? ['day'] : [],
    measures: ds.measures.slice(0, 1).map((m) => m.name),
    filters: [],
    limit: 1000,
  };
}

interface FormProps {
  catalog: Catalog;
  query: ReportQuery;
  problem: Problem | null;
  onChange: (q: ReportQuery) => void;
}

export function QueryForm({ catalog, query, problem, onChange }: FormProps) {
  // ~400 zone suggestions cost more to lay out than the rest of the form: built on first focus.
  const [zonesWanted, setZonesWanted] = useState(false);
  const ds = catalog.datasets.find((d) => d.name === query.dataset);
  const zone = query.timezone ?? 'UTC';
  const dims = query.dimensions ?? [];
  const bucket = dims.find((d) => GRAINS.includes(d)) ?? '';
  const preset = presetOf(query.time_range, zone);
  const set = (patch: Partial<ReportQuery>) => onChange({ ...query, ...patch });
  // A change of dimensions or measures carries the SPEC §11 options along (options.ts followSelection).
  const select = (patch: Partial<ReportQuery>) => onChange(followSelection({ ...query, ...patch }, ds, catalog.query_options));
  const toggle = (list: string[], name: string, on: boolean) => (on ? [...list, name] : list.filter((x) => x !== name));
  const options = catalog.query_options ? availability(catalog.query_options, ds, query) : null;
  const filters = query.filters ?? [];
  const setFilter = (i: number, f: Filter) => set({ filters: filters.map((x, j) => (j === i ? f : x)) });
  const described = (id: string, pointer: string) => ((problem?.errors ?? []).some((e) => e.pointer === pointer || e.pointer.startsWith(`${pointer}/`)) ? id : undefined);

  return (
    <div class="query-form">
      <div class="row">
        <label>
          Dataset
          <select value={query.dataset} aria-describedby={described('err-dataset', '/dataset')} onChange={(e) => onChange(defaultQuery(catalog, e.currentTarget.value, query))}>
            {catalog.datasets.map((d) => (
              <option key={d.name} value={d.name}>
                {d.name}
              </option>
            ))}
          </select>
          <FieldProblems id="err-dataset" problem={problem} pointer="/dataset" />
        </label>
        <label>
          Time range
          <select
            value={preset}
            onChange={(e) => {
              const v = e.currentTarget.value as Preset | 'custom';
              if (v !== 'custom') set({ time_range: presetRange(v, zone) });
              else set({ time_range: { ...query.time_range } });
            }}
          >
            {PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
            <option value="custom">Custom…</option>
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" value={toLocalInput(query.time_range.from, zone)} aria-describedby={described('err-range', '/time_range')}
            onChange={(e) => set({ time_range: { ...query.time_range, from: fromLocalInput(e.currentTarget.value, zone) ?? query.time_range.from } })} />
        </label>
        <label>
          To
          <input type="datetime-local" value={toLocalInput(query.time_range.to, zone)} aria-describedby={described('err-range', '/time_range')}
            onChange={(e) => set({ time_range: { ...query.time_range, to: fromLocalInput(e.currentTarget.value, zone) ?? query.time_range.to } })} />
        </label>
        <label>
          Timezone
          <input list="zones" value={zone} spellcheck={false} aria-describedby={described('err-timezone', '/timezone')} onFocus={() => setZonesWanted(true)}
            onChange={(e) => {
              const z = e.currentTarget.value.trim() || 'UTC';
              // A preset is re-cut in the new zone ("this month" starts at the zone's midnight).
              set({ timezone: z, time_range: preset !== 'custom' && isValidZone(z) ? presetRange(preset, z) : query.time_range });
            }} />
          <datalist id="zones">{zonesWanted ? ZONES.map((z) => <option key={z} value={z} />) : null}</datalist>
          <FieldProblems id="err-timezone" problem={problem} pointer="/timezone" />
        </label>
        <label>
          Bucket
          <select value={bucket} onChange={(e) => {
            const g = e.currentTarget.value;
            const rest = dims.filter((d) => !GRAINS.includes(d));
            select({ dimensions: g ? [g, ...rest] : rest });
          }}>
            <option value="">None</option>
            {(ds?.granularities ?? []).map((g) => <option key={g} value={g}>{g}</option>)}
          </select>
        </label>
      </div>
      <FieldProblems id="err-range" problem={problem} pointer="/time_range" />

      <div class="row two">
        <fieldset aria-describedby={described('err-dimensions', '/dimensions')}>
          <legend>Dimensions</legend>
          <div class="checks">
            {(ds?.dimensions ?? []).filter((d) => d.type !== 'time').map((d) => (
              <label class="check" key={d.name} title={d.description}>
                <input type="checkbox" checked={dims.includes(d.name)} onChange={(e) => select({ dimensions: toggle(dims, d.name, e.currentTarget.checked) })} /> {d.name}
              </label>
            ))}
          </div>
          <FieldProblems id="err-dimensions" problem={problem} pointer="/dimensions" />
        </fieldset>
        <fieldset aria-describedby={described('err-measures', '/measures')}>
          <legend>Measures</legend>
          <div class="checks">
            {(ds?.measures ?? []).map((m) => (
              <label class="check" key={m.name} title={m.description}>
                <input type="checkbox" checked={(query.measures ?? []).includes(m.name)} onChange={(e) => select({ measures: toggle(query.measures ?? [], m.name, e.currentTarget.checked) })} /> {m.name}
              </label>
            ))}
          </div>
          <FieldProblems id="err-measures" problem={problem} pointer="/measures" />
        </fieldset>
      </div>

      <fieldset class="filters">
        <legend>Filters</legend>
        {filters.length === 0 ? <p class="hint">No filters: every row of the range counts.</p> : null}
        {filters.map((f, i) => (
          <FilterRow key={i} index={i} filter={f} dataset={ds} problem={problem} onChange={(nf) => setFilter(i, nf)} onRemove={() => set({ filters: filters.filter((_, j) => j !== i) })} />
        ))}
        <button type="button" class="secondary" disabled={!ds?.filter_fields.length}
          onClick={() => { const field = ds!.filter_fields[0]; set({ filters: [...filters, { field: field.name, op: field.ops[0] as FilterOp, value: '' }] }); }}>
          Add filter
        </button>
      </fieldset>

      <div class="row options" data-testid="query-options">
        <label>
          Row limit
          <input type="number" min={1} max={ds?.limits.max_limit ?? 10000} value={query.limit ?? ''} aria-describedby={described('err-limit', '/limit')}
            onChange={(e) => set({ limit: e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value) })} />
          <FieldProblems id="err-limit" problem={problem} pointer="/limit" />
        </label>
        {options ? <OptionsControls query={query} options={options} problem={problem} set={set} /> : null}
      </div>
    </div>
  );
}

function parseValue(op: FilterOp, type: string, raw: string): Filter['value'] {
  if (op === 'is_null') return raw === 'true';
  const one = (s: string): string | number => (type === 'number' && s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s.trim());
  if (op === 'in' || op === 'not_in') return raw.split(',').map(one).filter((v) => v !== '');
  return one(raw);
}

const showValue = (v: Filter['value']) => (Array.isArray(v) ? v.join(', ') : String(v));

function FilterRow({ index, filter, dataset, problem, onChange, onRemove }: { index: number; filter: Filter; dataset: Dataset | undefined; problem: Problem | null; onChange: (f: Filter) => void; onRemove: () => void }) {
  const fields = dataset?.filter_fields ?? [];
  const field = fields.find((f) => f.name === filter.field);
  const ops = (field?.ops ?? []) as FilterOp[];
  const base = `/filters/${index}`;
  const errId = `err-filter-${index}`;
  return (
    <div class="filter-row" data-testid={`filter-${index}`}>
      <label>
        Field
        <select value={filter.field} onChange={(e) => {
          const nf = fields.find((f) => f.name === e.currentTarget.value)!;
          onChange({ field: nf.name, op: (nf.ops.includes(filter.op) ? filter.op : nf.ops[0]) as FilterOp, value: filter.value });
        }}>
          {fields.map((f) => <option key={f.name} value={f.name}>{f.name}</option>)}
        </select>
      </label>
      <label>
        Operator
        <select value={filter.op} onChange={(e) => {
          const op = e.currentTarget.value as FilterOp;
          onChange({ ...filter, op, value: op === 'is_null' ? true : parseValue(op, field?.type ?? 'string', showValue(filter.value)) });
        }}>
          {ops.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      </label>
      <label class="grow">
        Value{filter.op === 'in' || filter.op === 'not_in' ? ' (comma-separated)' : ''}
        {filter.op === 'is_null' ? (
          <select value={String(filter.value)} onChange={(e) => onChange({ ...filter, value: e.currentTarget.value === 'true' })}>
            <option value="true">is missing</option>
            <option value="false">is present</option>
          </select>
        ) : (
          <input value={showValue(filter.value)} aria-invalid={problem?.errors?.some((e) => e.pointer.startsWith(base)) ? 'true' : undefined}
            aria-describedby={problem?.errors?.some((e) => e.pointer.startsWith(base)) ? errId : undefined}
            onChange={(e) => onChange({ ...filter, value: parseValue(filter.op, field?.type ?? 'string', e.currentTarget.value) })} />
        )}
      </label>
      <button type="button" class="secondary" onClick={onRemove} aria-label={`Remove filter ${index + 1}`}>Remove</button>
      <FieldProblems id={errId} problem={problem} pointer={base} />
    </div>
  );
}

const TOP_FIELDS = ['/top/dimension', '/top/n', '/top/by'];
const COMPARE_LABELS: Record<string, string> = { previous_period: 'Previous period', previous_year: 'Previous year' };

/** Ids of the field-error regions of the SPEC §11 controls, for aria-describedby. */
const describedBy = (problem: Problem | null, id: string, pointer: string, exact = false) =>
  errorsAt(problem, pointer).some((e) => !exact || e.pointer === pointer) ? id : undefined;
const invalid = (problem: Problem | null, pointer: string) => (errorsAt(problem, pointer).length ? 'true' : undefined);

/**
 * SPEC §11 compare, top-N and running totals, driven by the catalog's query_options: a control the
 * current selection does not allow is disabled with the reason beside it (a value that came in
 * the URL stays shown, so the API's problem for it has a place next to its control).
 */
function OptionsControls({ query, options, problem, set }: { query: ReportQuery; options: Availability; problem: Problem | null; set: (p: Partial<ReportQuery>) => void }) {
  const t = query.top;
  const cumulative = query.cumulative ?? [];
  const { top } = options;
  const cumulativeShown = [...options.cumulative.candidates, ...cumulative.filter((m) => !options.cumulative.candidates.includes(m))];
  return (
    <>
      <label>
        Compare with
        <select value={query.compare ?? ''} disabled={!!options.compare.why && !query.compare} aria-invalid={invalid(problem, '/compare')}
          aria-describedby={describedBy(problem, 'err-compare', '/compare') ?? (options.compare.why ? 'why-compare' : undefined)}
          onChange={(e) => set({ compare: (e.currentTarget.value || undefined) as CompareMode | undefined })}>
          <option value="">None</option>
          {options.compare.values.map((c) => <option key={c} value={c}>{COMPARE_LABELS[c] ?? c}</option>)}
        </select>
        {options.compare.why ? <span class="hint" id="why-compare">{options.compare.why}</span> : null}
        <FieldProblems id="err-compare" problem={problem} pointer="/compare" />
      </label>

      <fieldset class="cumulative" aria-describedby={describedBy(problem, 'err-cumulative', '/cumulative') ?? (options.cumulative.why ? 'why-cumulative' : undefined)}>
        <legend>Running total</legend>
        <div class="checks">
          {cumulativeShown.map((m) => (
            <label class="check" key={m}>
              <input type="checkbox" checked={cumulative.includes(m)} disabled={!!options.cumulative.why && !cumulative.includes(m)}
                aria-invalid={errorsAt(problem, '/cumulative').some((e) => e.pointer === `/cumulative/${cumulative.indexOf(m)}`) ? 'true' : undefined}
                onChange={(e) => {
                  const next = e.currentTarget.checked ? [...cumulative, m] : cumulative.filter((x) => x !== m);
                  set({ cumulative: next.length ? next : undefined });
                }} /> {m}
            </label>
          ))}
        </div>
        {options.cumulative.why ? <p class="hint" id="why-cumulative">{options.cumulative.why}</p> : null}
        <FieldProblems id="err-cumulative" problem={problem} pointer="/cumulative" />
      </fieldset>

      <fieldset class="top-n" aria-describedby={errorsAt(problem, '/top').some((e) => !t || !TOP_FIELDS.some((f) => e.pointer.startsWith(f))) ? 'err-top' : !t && top.why ? 'why-top' : undefined}>
        <legend>Top N</legend>
        <label class="check">
          <input type="checkbox" checked={!!t} disabled={!!top.why && !t}
            onChange={(e) => set({ top: e.currentTarget.checked ? { dimension: top.dimensions[0], n: Math.min(10, top.nMax), by: top.by[0], other: true } : undefined })} /> Only the top values
        </label>
        {top.why && !t ? <p class="hint" id="why-top">{top.why}</p> : null}
        {t ? (
          <div class="top-fields">
            <label>
              Of
              <select value={t.dimension} aria-label="Top N of" aria-invalid={invalid(problem, '/top/dimension')} aria-describedby={describedBy(problem, 'err-top-dimension', '/top/dimension')}
                onChange={(e) => set({ top: { ...t, dimension: e.currentTarget.value } })}>
                {[...new Set([...top.dimensions, t.dimension])].map((d) => <option key={d} value={d}>{d}</option>)}
              </select>
              <FieldProblems id="err-top-dimension" problem={problem} pointer="/top/dimension" />
            </label>
            <label>
              N
              <input type="number" aria-label="Top N count" min={top.nMin} max={top.nMax} step={1} value={Number.isFinite(t.n) ? t.n : ''} aria-invalid={invalid(problem, '/top/n')}
                aria-describedby={describedBy(problem, 'err-top-n', '/top/n')}
                // An empty field is sent as null (JSON of NaN): the API's problem says n is needed.
                onInput={(e) => set({ top: { ...t, n: e.currentTarget.valueAsNumber } })} />
              <FieldProblems id="err-top-n" problem={problem} pointer="/top/n" />
            </label>
            <label>
              By
              <select value={t.by} aria-label="Top N by" aria-invalid={invalid(problem, '/top/by')} aria-describedby={describedBy(problem, 'err-top-by', '/top/by')}
                onChange={(e) => set({ top: { ...t, by: e.currentTarget.value } })}>
                {[...new Set([...top.by, t.by])].map((m) => <option key={m} value={m}>{m}</option>)}
              </select>
              <FieldProblems id="err-top-by" problem={problem} pointer="/top/by" />
            </label>
            <label class="check">
              <input type="checkbox" checked={!!t.other} onChange={(e) => set({ top: { ...t, other: e.currentTarget.checked } })} /> Group the rest as “{top.otherLabel}”
            </label>
          </div>
        ) : null}
        <FieldProblems id="err-top" problem={problem} pointer="/top" except={t ? TOP_FIELDS : []} />
      </fieldset>
    </>
  );
}

import { useState } from 'preact/hooks';
import type { Catalog, Dataset, Filter, FilterOp, Problem, ReportQuery } from '../api/types.js';
import { FieldProblems } from '../components/problem.js';
import { fromLocalInput, isValidZone, PRESETS, presetOf, presetRange, toLocalInput, type Preset } from './time-range.js';

const GRAINS = ['hour', 'day', 'week', 'month'];
const ZONES: string[] = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? ['UTC'];

/** Pointers the form shows next to its controls; the rest go to the page's problem box. */
export const CLAIMED_POINTERS = ['/dataset', '/time_range', '/timezone', '/dimensions', '/measures', '/filters', '/limit', '/compare', '/top'];

/**
 * SPEC §11 options appear only when the catalog advertises them (feature detection), so compare
 * and top-N light up once the API has them without a change here.
 */
export function advertised(catalog: Catalog, dataset: Dataset | undefined, name: 'compare' | 'top'): unknown {
  const bags = [dataset, (dataset as { options?: unknown } | undefined)?.options, catalog, (catalog as { options?: unknown }).options, (catalog as { query_options?: unknown }).query_options];
  for (const bag of bags) {
    if (bag && typeof bag === 'object' && name in bag) return (bag as Record<string, unknown>)[name];
  }
  return undefined;
}

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
  const toggle = (list: string[], name: string, on: boolean) => (on ? [...list, name] : list.filter((x) => x !== name));
  const compare = advertised(catalog, ds, 'compare');
  const top = advertised(catalog, ds, 'top');
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
            set({ dimensions: g ? [g, ...rest] : rest });
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
                <input type="checkbox" checked={dims.includes(d.name)} onChange={(e) => set({ dimensions: toggle(dims, d.name, e.currentTarget.checked) })} /> {d.name}
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
                <input type="checkbox" checked={(query.measures ?? []).includes(m.name)} onChange={(e) => set({ measures: toggle(query.measures ?? [], m.name, e.currentTarget.checked) })} /> {m.name}
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

      <div class="row">
        <label>
          Row limit
          <input type="number" min={1} max={ds?.limits.max_limit ?? 10000} value={query.limit ?? ''} aria-describedby={described('err-limit', '/limit')}
            onChange={(e) => set({ limit: e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value) })} />
          <FieldProblems id="err-limit" problem={problem} pointer="/limit" />
        </label>
        {compare !== undefined ? (
          <label>
            Compare with
            <select value={query.compare ?? ''} onChange={(e) => set({ compare: (e.currentTarget.value || undefined) as ReportQuery['compare'] })}>
              <option value="">Nothing</option>
              {(Array.isArray(compare) ? (compare as string[]) : ['previous_period', 'previous_year']).map((c) => <option key={c} value={c}>{c.replace('_', ' ')}</option>)}
            </select>
            <FieldProblems id="err-compare" problem={problem} pointer="/compare" />
          </label>
        ) : null}
        {top !== undefined ? <TopControl query={query} dataset={ds} problem={problem} onChange={(t) => set({ top: t })} /> : null}
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

function TopControl({ query, dataset, problem, onChange }: { query: ReportQuery; dataset: Dataset | undefined; problem: Problem | null; onChange: (t: ReportQuery['top']) => void }) {
  const dims = (query.dimensions ?? []).filter((d) => !GRAINS.includes(d));
  const t = query.top;
  return (
    <fieldset class="top">
      <legend>Top N</legend>
      <label class="check">
        <input type="checkbox" checked={!!t} disabled={dims.length === 0 || !query.measures?.length}
          onChange={(e) => onChange(e.currentTarget.checked ? { dimension: dims[0], n: 10, by: query.measures![0], other: true } : undefined)} /> Only the top values
      </label>
      {t ? (
        <>
          <label>Of <select value={t.dimension} onChange={(e) => onChange({ ...t, dimension: e.currentTarget.value })}>{dims.map((d) => <option key={d}>{d}</option>)}</select></label>
          <label>N <input type="number" min={1} max={100} value={t.n} onChange={(e) => onChange({ ...t, n: Number(e.currentTarget.value) })} /></label>
          <label>By <select value={t.by} onChange={(e) => onChange({ ...t, by: e.currentTarget.value })}>{(query.measures ?? []).map((m) => <option key={m}>{m}</option>)}</select></label>
          <label class="check"><input type="checkbox" checked={!!t.other} onChange={(e) => onChange({ ...t, other: e.currentTarget.checked })} /> Group the rest as (other)</label>
        </>
      ) : null}
      <FieldProblems id="err-top" problem={problem} pointer="/top" />
    </fieldset>
  );
}

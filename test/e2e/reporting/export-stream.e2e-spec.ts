import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { client } from '../../support/api.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

// A full collection between samples measures what is live, not what the collector has yet to free.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const live = () => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
};

const ROWS = 250_000;
const QUERY = {
  dataset: 'llm_generations',
  time_range: { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' },
  dimensions: ['session', 'model'],
  measures: ['total_tokens'],
  order_by: [{ dimension: 'session' }],
};
const hex32 = (i: number) => i.toString(16).padStart(32, '0');

describe('streaming export of a large result (SPEC §6 Export: a database cursor, constant memory)', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await startTestApp();
    const member = await t.key('stream', 'member');
    api = client(t, member.key);
    // Facts written set-based (ingest + projection of 250k records would only slow the test):
    // generation i belongs to session i, so grouping by session gives one result row per fact.
    await t.db.pool.query(
      `INSERT INTO fact_llm_generation (org_id, source_key, session_id, model, provider, input_tokens, output_tokens, total_tokens, is_error, created_at, source_updated_at)
       SELECT $1, 'llm_generation:gen_' || lpad(to_hex(i), 32, '0'), lpad(to_hex(i), 32, '0')::uuid, 'model-' || (i % 7), 'p',
              i % 1000, 1, i % 1000 + 1, false, timestamptz '2026-05-01T00:00:00Z' + i * interval '1 second', now()
       FROM generate_series(1, $2::int) AS i`,
      [member.orgId, ROWS],
    );
    await t.db.pool.query('ANALYZE fact_llm_generation');
  });
  afterAll(() => t.close());

  it('streams every row, byte-exact, while the process holds far less than the file', async () => {
    // The expected file, computed here row by row (never held whole).
    const expected = createHash('sha256');
    let expectedBytes = 0;
    const add = (line: string) => {
      expected.update(line);
      expectedBytes += Buffer.byteLength(line);
    };
    add('"session","model","total_tokens"\r\n');
    for (let i = 1; i <= ROWS; i++) add(`"session_${hex32(i)}","model-${i % 7}","${(i % 1000) + 1}"\r\n`);

    // Warm up first (pool connection, parser buffers, V8's young generation), so the baseline
    // already holds what any stream needs and growth measures what this one's size adds.
    const warm = await api.post('/v1/reports/query/export', { query: { ...QUERY, limit: 20_000 } }).set('accept', 'text/csv');
    expect(warm.status).toBe(200);
    const baseline = live();
    let peak = baseline;
    const received = createHash('sha256');
    let bytes = 0;
    let lines = 0;
    let sinceSample = 0;
    const res = await api
      .post('/v1/reports/query/export', { query: QUERY })
      .set('accept', 'text/csv')
      .buffer(true)
      // Consume the body as it arrives: hash it, count it, sample memory every ~2 MiB.
      .parse((stream, cb) => {
        stream.on('data', (chunk: Buffer) => {
          received.update(chunk);
          bytes += chunk.length;
          for (const b of chunk) if (b === 0x0a) lines++;
          sinceSample += chunk.length;
          if (sinceSample >= 2 * 1024 * 1024) {
            sinceSample = 0;
            const now = live();
            peak = { heap: Math.max(peak.heap, now.heap), rss: Math.max(peak.rss, now.rss) };
          }
        });
        stream.on('end', () => cb(null, null));
      });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="report.csv"');
    expect({ lines, bytes, sha256: received.digest('hex') }).toEqual({ lines: ROWS + 1, bytes: expectedBytes, sha256: expected.digest('hex') });
    expect(bytes).toBeGreaterThan(14_000_000);

    // Server and client share this process, so this bounds both. Holding the result would take
    // more than the file (the text, and the rows before it); a cursor holds one batch of rows
    // and socket buffers, whatever the size of the result.
    const heapGrowth = peak.heap - baseline.heap;
    const rssGrowth = peak.rss - baseline.rss;
    expect({ heapGrowthUnderHalfTheFile: heapGrowth < bytes / 2, rssGrowthUnderTheFile: rssGrowth < bytes, heapGrowth, rssGrowth, bytes }).toEqual({
      heapGrowthUnderHalfTheFile: true, rssGrowthUnderTheFile: true, heapGrowth, rssGrowth, bytes,
    });
  }, 180_000); // 250k rows streamed, with the rest of the suite on the same 2 cores: over 60 s on a busy host
});

import type { ArgumentMetadata } from '@nestjs/common';
import { BODY_LIMIT_BYTES } from '#src/app.setup.js';
import { ProblemValidationPipe } from '#src/common/problem-details/validation.pipe.js';
import { IngestAppsDto, IngestLlmGenerationsDto, IngestSessionsDto } from '#src/ingest/ingest-records.dto.js';
import type { Figure } from '../support/context.js';
import { repeat, round, summary } from '../support/stats.js';

/** A body of `n` copies of `record`, padded in one string field to just under the 1 MiB limit. */
function body(n: number, record: (i: number, pad: string) => unknown): string {
  const bare = JSON.stringify({ records: Array.from({ length: n }, (_, i) => record(i, '')) });
  const pad = 'x'.repeat(Math.max(0, Math.floor((BODY_LIMIT_BYTES - 64 - bare.length) / n)));
  return JSON.stringify({ records: Array.from({ length: n }, (_, i) => record(i, pad)) });
}

const hex = (i: number) => i.toString(16).padStart(12, '0');
const CASES: { label: string; dto: Function; text: string }[] = [
  {
    label: '5,000 valid generations',
    dto: IngestLlmGenerationsDto,
    text: body(5000, (i, pad) => ({
      id: `gen_0190b5a0000070008000${hex(i)}`,
      model: `gpt-5${pad.slice(0, 150)}`, provider: 'openai', input_tokens: 120, output_tokens: 40, created_at: '2026-05-01T12:00:00Z',
      finish_reason: pad.slice(150, 250) || null,
    })),
  },
  { label: '5,000 invalid sessions (20 worded, the rest counted)', dto: IngestSessionsDto, text: body(5000, (_i, pad) => ({ status: 'nope', agent_name: pad.slice(0, 190) })) },
  { label: '≈349,000 empty records (count refused first)', dto: IngestSessionsDto, text: `{"records":[${Array(349_000).fill('{}').join(',')}]}` },
  { label: 'one app with ≈200,000 channels (nested count refused first)', dto: IngestAppsDto, text: JSON.stringify({ records: [{ id: 'app_0190b5a0000070008000000000000001', name: 'a', channels: Array(200_000).fill({}) }] }) },
];

/**
 * Issue 12: validating an ingest body must never hold the event loop for long — a 1 MiB body
 * stays well under 100 ms. Runs in-process (no database, no service): the global pipe on the
 * parsed body, exactly as a request reaches it, against JSON.parse of the same text as the
 * baseline (the work every request pays anyway).
 */
export async function validationBench(quick: boolean): Promise<Figure[]> {
  const pipe = new ProblemValidationPipe();
  const runs = quick ? 5 : 20;
  const figures: Figure[] = [];
  for (const c of CASES) {
    const meta: ArgumentMetadata = { type: 'body', metatype: c.dto as never, data: undefined };
    const parse = summary(await repeat(runs, async () => JSON.parse(c.text)));
    // The pipe does not modify the body it checks, so one parsed copy serves every run.
    const parsed = JSON.parse(c.text);
    const validate = summary(await repeat(runs, async () => pipe.transform(parsed, meta).catch(() => undefined)));
    figures.push({
      name: `validation: ${c.label}`,
      bar: 'validating a 1 MiB ingest body takes well under 100 ms',
      figure: `validation p50 ${round(validate.p50, 1)} ms, max ${round(validate.max, 1)} ms (${(c.text.length / 2 ** 20).toFixed(2)} MiB)`,
      baseline: `JSON.parse of the same text p50 ${round(parse.p50, 1)} ms`,
      // Three significant digits, not two decimals: a refused body's ratio is tiny but never 0.
      ratio: Number((validate.p50 / parse.p50).toPrecision(3)),
      ratioLabel: 'validation ÷ JSON.parse',
      pass: validate.max < 100,
      details: { bytes: c.text.length, parse_p50_ms: round(parse.p50, 2), validate_p50_ms: round(validate.p50, 2), validate_max_ms: round(validate.max, 2) },
    });
  }
  return figures;
}

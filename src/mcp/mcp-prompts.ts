import { ProblemException } from '#src/common/problem-details/problem.js';

const HOUR_MS = 3_600_000;

export interface McpPrompt {
  name: string;
  title: string;
  description: string;
  arguments: { name: string; description: string; required: boolean }[];
  /** The user message: the question and the exact tool call that answers it. */
  text(args: Record<string, string>, now: Date): string;
}

/** `days` from 1 to 400 (SPEC §6's longest range), default 7. */
function days(args: Record<string, string>): number {
  const raw = args.days ?? '7';
  const n = /^[0-9]{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 400)) {
    throw new ProblemException('validation_failed', 'days must be a whole number from 1 to 400.', { errors: [{ pointer: '/days', message: 'days must be a whole number from 1 to 400' }] });
  }
  return n;
}

/**
 * An absolute range of whole hours ending with the current hour: run_report_query takes absolute
 * ranges, and whole hours let the rollup answer.
 */
function lastDays(n: number, now: Date): { from: string; to: string } {
  const to = Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS;
  return { from: new Date(to - n * 24 * HOUR_MS).toISOString(), to: new Date(to).toISOString() };
}

const DAYS_ARG = { name: 'days', description: 'How many days back from now (1–400; default 7).', required: false };

/** Two starting questions; each names the tool call that answers it, so a model can run it as is. */
export const MCP_PROMPTS: McpPrompt[] = [
  {
    name: 'cost_by_model',
    title: 'LLM cost and usage by model',
    description: 'Cost in USD, generations, tokens, unpriced generations and errors per model over the last days, costliest first.',
    arguments: [DAYS_ARG],
    text: (args, now) => {
      const n = days(args);
      const query = {
        dataset: 'llm_generations',
        time_range: lastDays(n, now),
        dimensions: ['model'],
        measures: ['cost_usd', 'generation_count', 'total_tokens', 'unpriced_count', 'error_count'],
        order_by: [{ measure: 'cost_usd', direction: 'desc' }],
      };
      return (
        `What did each model cost our agents over the last ${n} days, and how much were they used? Call run_report_query with ${JSON.stringify(query)}, ` +
        'then summarise the result per model. cost_usd sums the generations whose cost is known; unpriced_count counts those without a price (list_prices shows the price table).'
      );
    },
  },
  {
    name: 'failing_tools',
    title: 'Failing tools',
    description: 'Tool calls, errors and timeouts per tool over the last days, most errors first.',
    arguments: [DAYS_ARG],
    text: (args, now) => {
      const n = days(args);
      const query = {
        dataset: 'tool_calls',
        time_range: lastDays(n, now),
        dimensions: ['tool'],
        measures: ['call_count', 'error_count', 'timeout_count'],
        order_by: [{ measure: 'error_count', direction: 'desc' }],
        limit: 20,
      };
      return (
        `Which tools failed most over the last ${n} days? Call run_report_query with ${JSON.stringify(query)}, ` +
        'then name the tools with the highest error and timeout rates (errors ÷ calls).'
      );
    },
  },
];

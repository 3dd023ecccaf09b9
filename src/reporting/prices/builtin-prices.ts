/**
 * The built-in price table (SPEC §10), as data: USD per million tokens, each entry saying where
 * and when its price was read. Loaded at every boot (builtin-prices.load.ts): an entry is a row
 * keyed by (provider, model, match, effective_from), inserted once and never rewritten — so a
 * price change is a NEW entry with a later `effectiveFrom`, and generations before it keep the
 * price they were made under. Editing an existing entry's amounts changes nothing in a database
 * that already holds it: add an entry instead.
 *
 * Prices were read from the providers' public pricing pages; `readAt` is the knowledge date of the
 * person who wrote the entry (not a crawl). Where a provider bills no separate cache price, cache
 * reads and writes cost what input costs (omitted below). `effectiveFrom` is when the price took
 * effect (the model's release, or a price change), UTC.
 *
 * Matching (price-rule.sql.ts): `prefix` entries cover dated snapshots (`claude-sonnet-4-5` covers
 * `claude-sonnet-4-5-20250929`); the longest prefix wins, so `gpt-5-mini` beats `gpt-5`. Every
 * model the demo data uses (src/cli/seed/vocabulary.ts) has a price here; a unit test checks it.
 */

export interface BuiltinPrice {
  provider: string;
  model: string;
  match: 'exact' | 'prefix';
  /** USD per million tokens, as decimal strings (at most 9 decimals). */
  input: string;
  output: string;
  cacheRead?: string;
  cacheWrite?: string;
  effectiveFrom: string;
  note?: string;
  sourceUrl: string;
  readAt: string;
}

type Entry = [model: string, match: 'exact' | 'prefix', input: string, output: string, cacheRead: string | null, cacheWrite: string | null, effectiveFrom: string, note?: string];

function provider(name: string, sourceUrl: string, readAt: string, entries: Entry[]): BuiltinPrice[] {
  return entries.map(([model, match, input, output, cacheRead, cacheWrite, effectiveFrom, note]) => ({
    provider: name, model, match, input, output,
    ...(cacheRead !== null ? { cacheRead } : {}),
    ...(cacheWrite !== null ? { cacheWrite } : {}),
    effectiveFrom: `${effectiveFrom}T00:00:00Z`,
    ...(note ? { note } : {}),
    sourceUrl, readAt,
  }));
}

export const BUILTIN_PRICES: readonly BuiltinPrice[] = [
  ...provider('openai', 'https://openai.com/api/pricing/', '2025', [
    // OpenAI bills no cache writes: tokens written to the cache are ordinary input.
    ['gpt-5', 'prefix', '1.25', '10', '0.125', null, '2025-08-07'],
    ['gpt-5-mini', 'prefix', '0.25', '2', '0.025', null, '2025-08-07'],
    ['gpt-5-nano', 'prefix', '0.05', '0.4', '0.005', null, '2025-08-07'],
    ['gpt-5-pro', 'prefix', '15', '120', null, null, '2025-10-06'],
    ['gpt-4.1', 'prefix', '2', '8', '0.5', null, '2025-04-14'],
    ['gpt-4.1-mini', 'prefix', '0.4', '1.6', '0.1', null, '2025-04-14'],
    ['gpt-4.1-nano', 'prefix', '0.1', '0.4', '0.025', null, '2025-04-14'],
    ['gpt-4o', 'prefix', '5', '15', null, null, '2024-05-13', 'gpt-4o at launch'],
    ['gpt-4o', 'prefix', '2.5', '10', '1.25', null, '2024-10-02', 'the gpt-4o alias moved to the cheaper 2024-08-06 snapshot'],
    ['gpt-4o-2024-05-13', 'exact', '5', '15', null, null, '2024-05-13'],
    ['gpt-4o-mini', 'prefix', '0.15', '0.6', '0.075', null, '2024-07-18'],
    ['o1', 'prefix', '15', '60', '7.5', null, '2024-12-17'],
    ['o1-mini', 'prefix', '1.1', '4.4', '0.55', null, '2024-09-12'],
    ['o1-pro', 'prefix', '150', '600', null, null, '2025-03-19'],
    ['o3', 'prefix', '10', '40', '2.5', null, '2025-04-16', 'o3 at launch'],
    ['o3', 'prefix', '2', '8', '0.5', null, '2025-06-10', 'o3 price cut by 80 %'],
    ['o3-mini', 'prefix', '1.1', '4.4', '0.55', null, '2025-01-31'],
    ['o3-pro', 'prefix', '20', '80', null, null, '2025-06-10'],
    ['o4-mini', 'prefix', '1.1', '4.4', '0.275', null, '2025-04-16'],
    ['gpt-4-turbo', 'prefix', '10', '30', null, null, '2024-04-09'],
    ['gpt-3.5-turbo', 'prefix', '0.5', '1.5', null, null, '2024-01-25'],
  ]),
  ...provider('anthropic', 'https://www.anthropic.com/pricing#api', '2025', [
    // Cache writes are the 5-minute cache's price (1.25 × input); reads are 0.1 × input.
    ['claude-opus-4-1', 'prefix', '15', '75', '1.5', '18.75', '2025-08-05'],
    ['claude-opus-4', 'prefix', '15', '75', '1.5', '18.75', '2025-05-22'],
    ['claude-sonnet-4-5', 'prefix', '3', '15', '0.3', '3.75', '2025-09-29', 'prompts up to 200k tokens'],
    ['claude-sonnet-4', 'prefix', '3', '15', '0.3', '3.75', '2025-05-22', 'prompts up to 200k tokens'],
    ['claude-haiku-4-5', 'prefix', '1', '5', '0.1', '1.25', '2025-10-15'],
    ['claude-3-7-sonnet', 'prefix', '3', '15', '0.3', '3.75', '2025-02-24'],
    ['claude-3-5-sonnet', 'prefix', '3', '15', '0.3', '3.75', '2024-06-20'],
    ['claude-3-5-haiku', 'prefix', '0.8', '4', '0.08', '1', '2024-11-04'],
    ['claude-3-opus', 'prefix', '15', '75', '1.5', '18.75', '2024-03-04'],
    ['claude-3-haiku', 'prefix', '0.25', '1.25', '0.03', '0.3', '2024-03-13'],
  ]),
  ...provider('google', 'https://ai.google.dev/gemini-api/docs/pricing', '2025', [
    // Gemini bills cache storage per hour, not per token written: writes cost what input costs.
    ['gemini-2.5-pro', 'prefix', '1.25', '10', '0.31', null, '2025-06-17', 'prompts up to 200k tokens'],
    ['gemini-2.5-flash', 'prefix', '0.3', '2.5', '0.075', null, '2025-06-17'],
    ['gemini-2.5-flash-lite', 'prefix', '0.1', '0.4', '0.025', null, '2025-07-22'],
    ['gemini-2.0-flash', 'prefix', '0.1', '0.4', '0.025', null, '2025-02-05'],
    ['gemini-2.0-flash-lite', 'prefix', '0.075', '0.3', null, null, '2025-02-25'],
    ['gemini-1.5-pro', 'prefix', '1.25', '5', '0.3125', null, '2024-10-01', 'prompts up to 128k tokens'],
    ['gemini-1.5-flash', 'prefix', '0.075', '0.3', '0.01875', null, '2024-08-12', 'prompts up to 128k tokens'],
  ]),
  ...provider('mistral', 'https://mistral.ai/pricing#api-pricing', '2025', [
    ['mistral-large', 'prefix', '2', '6', null, null, '2024-11-18'],
    ['mistral-medium', 'prefix', '0.4', '2', null, null, '2025-05-07'],
    ['mistral-small', 'prefix', '0.1', '0.3', null, null, '2025-03-17'],
    ['codestral', 'prefix', '0.3', '0.9', null, null, '2025-01-13'],
    ['magistral-medium', 'prefix', '2', '5', null, null, '2025-06-10'],
    ['magistral-small', 'prefix', '0.5', '1.5', null, null, '2025-06-10'],
    ['ministral-8b', 'prefix', '0.1', '0.1', null, null, '2024-10-16'],
    ['ministral-3b', 'prefix', '0.04', '0.04', null, null, '2024-10-16'],
    ['pixtral-large', 'prefix', '2', '6', null, null, '2024-11-18'],
    ['open-mistral-nemo', 'prefix', '0.15', '0.15', null, null, '2024-07-18'],
  ]),
  ...provider('xai', 'https://docs.x.ai/docs/models', '2025', [
    ['grok-4', 'prefix', '3', '15', '0.75', null, '2025-07-09', 'prompts up to 128k tokens'],
    ['grok-3', 'prefix', '3', '15', '0.75', null, '2025-04-09'],
    ['grok-3-mini', 'prefix', '0.3', '0.5', '0.075', null, '2025-04-09'],
  ]),
  ...provider('deepseek', 'https://api-docs.deepseek.com/quick_start/pricing', '2025', [
    // Cache reads are DeepSeek's "cache hit" input price; input is the "cache miss" price.
    ['deepseek-chat', 'exact', '0.27', '1.1', '0.07', null, '2025-02-08', 'DeepSeek-V3, standard (non-discount) hours'],
    ['deepseek-reasoner', 'exact', '0.55', '2.19', '0.14', null, '2025-01-20', 'DeepSeek-R1, standard (non-discount) hours'],
  ]),
  // Meta's Llama and other open-weight models, under the hosts that serve them (the provider
  // field is the host; model ids as the host spells them).
  ...provider('groq', 'https://groq.com/pricing', '2025', [
    ['llama-3.3-70b-versatile', 'exact', '0.59', '0.79', null, null, '2024-12-06'],
    ['llama-3.1-8b-instant', 'exact', '0.05', '0.08', null, null, '2024-07-23'],
    ['meta-llama/llama-4-scout-17b-16e-instruct', 'exact', '0.11', '0.34', null, null, '2025-04-05'],
    ['meta-llama/llama-4-maverick-17b-128e-instruct', 'exact', '0.2', '0.6', null, null, '2025-04-05'],
    ['openai/gpt-oss-120b', 'exact', '0.15', '0.75', null, null, '2025-08-05'],
    ['openai/gpt-oss-20b', 'exact', '0.1', '0.5', null, null, '2025-08-05'],
  ]),
  ...provider('together', 'https://www.together.ai/pricing', '2025', [
    ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'prefix', '0.88', '0.88', null, null, '2024-12-06'],
    ['meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'prefix', '0.18', '0.18', null, null, '2024-07-23'],
    ['meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo', 'prefix', '0.88', '0.88', null, null, '2024-07-23'],
    ['meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'prefix', '3.5', '3.5', null, null, '2024-07-23'],
    ['meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'exact', '0.27', '0.85', null, null, '2025-04-05'],
    ['meta-llama/Llama-4-Scout-17B-16E-Instruct', 'exact', '0.18', '0.59', null, null, '2025-04-05'],
    ['deepseek-ai/DeepSeek-V3', 'exact', '1.25', '1.25', null, null, '2024-12-26'],
    ['deepseek-ai/DeepSeek-R1', 'exact', '3', '7', null, null, '2025-01-20'],
    ['Qwen/Qwen2.5-72B-Instruct-Turbo', 'exact', '1.2', '1.2', null, null, '2024-09-19'],
  ]),
  ...provider('fireworks', 'https://fireworks.ai/pricing', '2025', [
    // Fireworks prices by parameter count; these are its serverless prices for the Llama sizes.
    ['accounts/fireworks/models/llama-v3p3-70b-instruct', 'exact', '0.9', '0.9', null, null, '2024-12-06'],
    ['accounts/fireworks/models/llama-v3p1-8b-instruct', 'exact', '0.2', '0.2', null, null, '2024-07-23'],
    ['accounts/fireworks/models/llama-v3p1-405b-instruct', 'exact', '3', '3', null, null, '2024-07-23'],
    ['accounts/fireworks/models/llama4-maverick-instruct-basic', 'exact', '0.22', '0.88', null, null, '2025-04-05'],
    ['accounts/fireworks/models/llama4-scout-instruct-basic', 'exact', '0.15', '0.6', null, null, '2025-04-05'],
  ]),
];

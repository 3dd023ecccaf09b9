/**
 * The demo world: the names and typical numbers behind the seeded data. Plain data, so a change
 * here is a reviewable change of what the demo looks like. Prices are per million tokens.
 */

export interface ModelDef {
  model: string;
  provider: string;
  ttftMs: number;
  msPerOutputToken: number;
  errorRate: number;
  priceIn: number;
  priceOut: number;
  cacheRead: boolean;
  cacheWrite: boolean;
  /** Provider spelling of: called a tool, stopped, hit the token limit. */
  finish: { tool: string; stop: string; length: string };
}

export const MODELS: readonly ModelDef[] = [
  { model: 'claude-sonnet-4-5', provider: 'anthropic', ttftMs: 650, msPerOutputToken: 14, errorRate: 0.008, priceIn: 3, priceOut: 15, cacheRead: true, cacheWrite: true, finish: { tool: 'tool_use', stop: 'end_turn', length: 'max_tokens' } },
  { model: 'claude-haiku-4-5', provider: 'anthropic', ttftMs: 380, msPerOutputToken: 6, errorRate: 0.006, priceIn: 1, priceOut: 5, cacheRead: true, cacheWrite: true, finish: { tool: 'tool_use', stop: 'end_turn', length: 'max_tokens' } },
  { model: 'gpt-5', provider: 'openai', ttftMs: 900, msPerOutputToken: 16, errorRate: 0.012, priceIn: 1.25, priceOut: 10, cacheRead: true, cacheWrite: false, finish: { tool: 'tool_calls', stop: 'stop', length: 'length' } },
  { model: 'gpt-5-mini', provider: 'openai', ttftMs: 450, msPerOutputToken: 7, errorRate: 0.01, priceIn: 0.25, priceOut: 2, cacheRead: true, cacheWrite: false, finish: { tool: 'tool_calls', stop: 'stop', length: 'length' } },
  { model: 'gemini-2.5-pro', provider: 'google', ttftMs: 1100, msPerOutputToken: 12, errorRate: 0.015, priceIn: 1.25, priceOut: 10, cacheRead: false, cacheWrite: false, finish: { tool: 'STOP', stop: 'STOP', length: 'MAX_TOKENS' } },
  { model: 'mistral-large-2', provider: 'mistral', ttftMs: 520, msPerOutputToken: 10, errorRate: 0.02, priceIn: 2, priceOut: 6, cacheRead: false, cacheWrite: false, finish: { tool: 'tool_calls', stop: 'stop', length: 'length' } },
];

export interface ToolDef {
  name: string;
  displayName: string;
  capability: string;
  medianMs: number;
  errorRate: number;
  timeoutRate: number;
  /** Per call, in the budget's currency; 0 = not metered. */
  price: number;
  weight: number;
  /** A successful call changes something outside the agent (capability usage `effect_ran`, SPEC §11). */
  effect: boolean;
}

export const TOOLS: readonly ToolDef[] = [
  { name: 'web_search', displayName: 'Web search', capability: 'search', medianMs: 1400, errorRate: 0.02, timeoutRate: 0.01, price: 0.005, weight: 14, effect: false },
  { name: 'read_file', displayName: 'Read file', capability: 'filesystem', medianMs: 40, errorRate: 0.01, timeoutRate: 0, price: 0, weight: 18, effect: false },
  { name: 'write_file', displayName: 'Write file', capability: 'filesystem', medianMs: 60, errorRate: 0.015, timeoutRate: 0, price: 0, weight: 9, effect: true },
  { name: 'run_shell', displayName: 'Shell', capability: 'code_execution', medianMs: 2600, errorRate: 0.08, timeoutRate: 0.02, price: 0.002, weight: 10, effect: true },
  { name: 'http_request', displayName: 'HTTP request', capability: 'network', medianMs: 700, errorRate: 0.05, timeoutRate: 0.02, price: 0, weight: 7, effect: false },
  { name: 'sql_query', displayName: 'SQL query', capability: 'data', medianMs: 350, errorRate: 0.04, timeoutRate: 0.01, price: 0.001, weight: 8, effect: false },
  { name: 'vector_search', displayName: 'Knowledge search', capability: 'retrieval', medianMs: 180, errorRate: 0.005, timeoutRate: 0.002, price: 0.0005, weight: 12, effect: false },
  { name: 'slack_post_message', displayName: 'Post to Slack', capability: 'messaging', medianMs: 420, errorRate: 0.02, timeoutRate: 0.005, price: 0, weight: 5, effect: true },
  { name: 'github_create_pull_request', displayName: 'Open pull request', capability: 'code_review', medianMs: 1900, errorRate: 0.03, timeoutRate: 0.01, price: 0, weight: 3, effect: true },
  { name: 'jira_create_issue', displayName: 'Create Jira issue', capability: 'ticketing', medianMs: 950, errorRate: 0.03, timeoutRate: 0.01, price: 0, weight: 3, effect: true },
  { name: 'send_email', displayName: 'Send email', capability: 'messaging', medianMs: 600, errorRate: 0.01, timeoutRate: 0.005, price: 0.0002, weight: 3, effect: true },
];

/** Capability names by the ids the tools carry (capability usage, SPEC §11). */
export const CAPABILITY_NAMES: Readonly<Record<string, string>> = {
  search: 'Web search', filesystem: 'Files', code_execution: 'Code execution', network: 'Network access', data: 'Databases',
  retrieval: 'Knowledge base', messaging: 'Messaging', code_review: 'Code review', ticketing: 'Ticketing',
};

export const HARNESSES = ['claude-code', 'codex-cli', 'langgraph', 'openai-agents-sdk', 'factline-runner'] as const;

/** Agents: name, blueprint, primary and secondary model (indexes into MODELS). */
export const AGENTS: readonly { name: string; blueprint: string; models: [number, number] }[] = [
  { name: 'Support Triage', blueprint: 'bp-support-triage-v3', models: [1, 3] },
  { name: 'Code Reviewer', blueprint: 'bp-code-review-v5', models: [0, 2] },
  { name: 'Release Notes Writer', blueprint: 'bp-release-notes-v1', models: [3, 1] },
  { name: 'Data Analyst', blueprint: 'bp-data-analyst-v2', models: [2, 4] },
  { name: 'Incident Responder', blueprint: 'bp-incident-v4', models: [0, 5] },
  { name: 'Sales Assistant', blueprint: 'bp-sales-v2', models: [3, 5] },
  { name: 'Onboarding Guide', blueprint: 'bp-onboarding-v1', models: [1, 4] },
  { name: 'Invoice Checker', blueprint: 'bp-finance-ops-v2', models: [5, 3] },
  { name: 'Research Scout', blueprint: 'bp-research-v3', models: [4, 2] },
  { name: 'QA Tester', blueprint: 'bp-code-review-v5', models: [2, 0] },
  { name: 'Docs Helper', blueprint: 'bp-docs-v2', models: [1, 3] },
  { name: 'Security Auditor', blueprint: 'bp-security-v1', models: [0, 2] },
];

export const CHANNEL_TYPES = ['slack', 'ag_ui', 'webhook', 'a2a', 'fcp', 'schedule', 'api_endpoint'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** Share of runs of a channel type that end in `err`. */
export const CHANNEL_ERROR_RATE: Record<ChannelType, number> = {
  slack: 0.04, ag_ui: 0.03, webhook: 0.08, a2a: 0.06, fcp: 0.05, schedule: 0.03, api_endpoint: 0.05,
};

/** Apps: name, and the channels they are reachable on (type, name). The first three cover every channel type. */
export const APPS: readonly { name: string; channels: [ChannelType, string][] }[] = [
  { name: 'Support Bot', channels: [['slack', '#support'], ['ag_ui', 'Help center widget'], ['api_endpoint', 'POST /support/ask']] },
  { name: 'PR Reviewer', channels: [['webhook', 'GitHub pull_request'], ['a2a', 'CI agent']] },
  { name: 'Ops Digest', channels: [['schedule', 'every 15 minutes'], ['fcp', 'Ops console'], ['slack', '#ops']] },
  { name: 'Customer Portal Assistant', channels: [['ag_ui', 'Portal chat'], ['api_endpoint', 'POST /portal/assist'], ['a2a', 'CRM agent']] },
  { name: 'Incident Pager', channels: [['webhook', 'PagerDuty incident'], ['slack', '#incidents']] },
  { name: 'Finance Reconciler', channels: [['schedule', 'every 15 minutes'], ['api_endpoint', 'POST /finance/reconcile']] },
];

export const ORG_NAMES: readonly [slug: string, name: string, utcOffsetHours: number, currency: string][] = [
  ['acme', 'Acme Robotics', -5, 'USD'],
  ['globex', 'Globex Corporation', 1, 'EUR'],
  ['initech', 'Initech', -8, 'USD'],
  ['umbrella', 'Umbrella Health', 9, 'USD'],
  ['hooli', 'Hooli', -8, 'USD'],
  ['soylent', 'Soylent Foods', 0, 'GBP'],
  ['tyrell', 'Tyrell Systems', 5.5, 'USD'],
  ['wonka', 'Wonka Industries', 1, 'EUR'],
  ['cyberdyne', 'Cyberdyne', -5, 'USD'],
  ['wayne', 'Wayne Enterprises', -5, 'USD'],
];

export const BUDGET_NAMES = ['platform', 'research', 'customer-facing', 'internal-tools', 'experiments'] as const;

/** How sessions end (their last turn ends the same way); `open` ones wait for their user: running. */
export const SESSION_OUTCOMES: readonly [status: string, share: number][] = [['completed', 0.86], ['failed', 0.07], ['cancelled', 0.04], ['open', 0.03]];
/** Share of the turns before a session's last that fail. */
export const TURN_FAILURE_RATE = 0.04;
/** Share of failed turns refunded an hour later. */
export const REFUND_SHARE = 0.5;

/** Sessions per turn count 1…8 and LLM calls (iterations) per turn 1…6, as weights. */
export const TURNS_PER_SESSION_WEIGHTS = [30, 22, 15, 11, 8, 6, 4, 4];
export const ITERATIONS_PER_TURN_WEIGHTS = [35, 25, 18, 10, 7, 5];

import createClient, { type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
/** The document's schemas by name, e.g. `Schemas['ReportResultDto']`. */
export type Schemas = components['schemas'];

export interface FactlineClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** Where the service runs, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** An API key (fl_…), sent as `Authorization: Bearer <key>` on every request. */
  apiKey: string;
}

/**
 * A client whose paths, parameters, bodies and responses are typed from the OpenAPI document.
 * Calls resolve to `{ data }` on success or `{ error }` (RFC 9457 problem details) otherwise.
 */
export function createFactlineClient({ baseUrl, apiKey, ...options }: FactlineClientOptions) {
  return createClient<paths>({ ...options, baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
}

export type FactlineClient = ReturnType<typeof createFactlineClient>;

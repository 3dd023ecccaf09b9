/**
 * The closed table of problem codes (SPEC §3): every non-2xx body carries one of these.
 * `about` is the text of the page that the problem's `type` URI resolves to.
 */
export const PROBLEM_CODES = {
  bad_request: { status: 400, title: 'Bad Request', about: 'The request could not be understood: malformed JSON, a malformed path parameter, or a body where none is allowed.' },
  validation_failed: { status: 400, title: 'Invalid request', about: 'One or more fields of the body or query string are invalid. `errors[]` lists every one with a JSON pointer (`/field` for the body, `/query/name` for query parameters).' },
  invalid_report_query: { status: 400, title: 'Invalid semantic query', about: 'The report query does not fit the catalog. `errors[]` lists every problem with its pointer and the allowed names; GET /v1/reports/catalog lists datasets, dimensions, measures and filter fields.' },
  invalid_query: { status: 400, title: 'Invalid query parameter', about: 'A query-string parameter (such as `window` or `group_by`) is malformed or out of range; `detail` says which and why.' },
  invalid_app_id: { status: 400, title: 'Invalid app id', about: 'The app id in the path is not a public app id (`app_` followed by 32 lowercase hex characters).' },
  invalid_report_id: { status: 400, title: 'Invalid report id', about: 'The saved-report id in the path is not a UUID.' },
  // Keys over the API (SPEC §15a).
  invalid_key_id: { status: 400, title: 'Invalid key id', about: 'The key id in the path is not a public key id (`key_` followed by 32 lowercase hex characters).' },
  api_key_not_found: { status: 404, title: 'API key not found', about: 'No API key with this id exists in your org.' },
  role_not_grantable: { status: 403, title: 'Role not grantable', about: 'A key cannot create a key whose role grants a permission its own role lacks.' },
  last_owner_key: { status: 409, title: 'Last owner key', about: "Revoking this key would leave the org without an active owner key, so nobody could manage its keys. Create another owner key first (POST /v1/keys), then revoke this one." },
  unauthorized: { status: 401, title: 'Unauthorized', about: 'The request needs `Authorization: Bearer <api key>` (exactly one such header); the key was missing, malformed, unknown or revoked.' },
  forbidden: { status: 403, title: 'Forbidden', about: "The API key's role lacks the permission this route needs; `detail` names it." },
  not_found: { status: 404, title: 'Not Found', about: 'No route matches this path.' },
  saved_report_not_found: { status: 404, title: 'Saved report not found', about: 'No saved report with this id exists in your org.' },
  app_not_found: { status: 404, title: 'App not found', about: 'No app with this id exists in your org.' },
  method_not_allowed: { status: 405, title: 'Method Not Allowed', about: 'The path exists but not with this HTTP method; the `Allow` header lists the methods it accepts.' },
  not_acceptable: { status: 406, title: 'Not Acceptable', about: 'The route cannot produce the media type asked for in `Accept`.' },
  conflict: { status: 409, title: 'Conflict', about: 'The change conflicts with existing data (for example a duplicate name).' },
  uri_too_long: { status: 414, title: 'URI Too Long', about: 'A path segment is longer than the 200 characters the router accepts.' },
  payload_too_large: { status: 413, title: 'Payload Too Large', about: 'Request bodies are limited to 1 MiB.' },
  unsupported_media_type: { status: 415, title: 'Unsupported Media Type', about: 'Request bodies must be `application/json`.' },
  rate_limited: { status: 429, title: 'Too Many Requests', about: 'The per-key rate limit, or the limit of failed authentications per client address, was exceeded. Wait `retry_after_seconds` (also in `Retry-After`) and retry.' },
  internal_error: { status: 500, title: 'Internal Server Error', about: 'An unexpected error. It was logged with the request id (`x-request-id`); the response never carries internals.' },
  // Hardening (issue 12): answers of the HTTP layer before any route runs, and per-address limits.
  request_timeout: { status: 408, title: 'Request Timeout', about: 'The request (its headers, or its whole body) did not arrive within the time limit; the connection was closed. Send the whole request promptly.' },
  request_header_fields_too_large: { status: 431, title: 'Request Header Fields Too Large', about: 'The request headers exceed 16 KiB in all.' },
  too_many_connections: { status: 429, title: 'Too Many Connections', about: 'This client address holds too many open connections; the new one was closed. Reuse connections (keep-alive) or close idle ones, then retry.' },
  service_unavailable: { status: 503, title: 'Service Unavailable', about: 'The database is unreachable or overloaded. Retry after `retry_after_seconds`.' },
  query_timeout: { status: 503, title: 'Query timed out', about: 'The report query exceeded the statement timeout. Narrow the time range or the dimensions, or retry later.' },
  // Cost (SPEC §10): the price table.
  invalid_price_id: { status: 400, title: 'Invalid price id', about: 'The price id in the path is not a public price id (`price_` followed by 32 lowercase hex characters).' },
  price_not_found: { status: 404, title: 'Price not found', about: 'No price with this id exists among the built-in prices and your org\'s own.' },
  builtin_price: { status: 409, title: 'Built-in price', about: 'Built-in prices ship with the service and cannot be deleted. To price a model differently, create an org price for it: the org\'s own price wins over a built-in one.' },
  price_exists: { status: 409, title: 'Price already exists', about: 'Your org already has a price for this provider, model, match and effective_from. Delete it first, or use another effective_from to start a new price at that instant.' },
  query_concurrency_limited: { status: 503, title: 'Too many concurrent queries', about: 'Your org has reached its cap of concurrent report queries. Retry after `retry_after_seconds`.' },
  // Alerts and scheduled deliveries (SPEC §14).
  invalid_destination_id: { status: 400, title: 'Invalid destination id', about: 'The destination id is not a public destination id (`dest_` followed by 32 lowercase hex characters).' },
  invalid_schedule_id: { status: 400, title: 'Invalid schedule id', about: 'The schedule id in the path is not a public schedule id (`sched_` followed by 32 lowercase hex characters).' },
  invalid_alert_id: { status: 400, title: 'Invalid alert id', about: 'The alert id in the path is not a public alert id (`alert_` followed by 32 lowercase hex characters).' },
  invalid_delivery_id: { status: 400, title: 'Invalid delivery id', about: 'The delivery id in the path is not a public delivery id (`delivery_` followed by 32 lowercase hex characters).' },
  destination_not_allowed: { status: 400, title: 'Destination not allowed', about: 'Webhook destinations must be https URLs whose host resolves only to public addresses. Loopback, private, link-local (cloud metadata), unique-local and IPv4-mapped addresses are refused; the operator may allow loopback and private ones (and http) with WEBHOOK_ALLOW_PRIVATE=true.' },
  alert_report_not_single_row: { status: 400, title: 'Report is not single-row', about: 'An alert watches one value: its saved report must have no dimensions (one aggregate row) and `measure` must be one of its measures.' },
  destination_not_found: { status: 404, title: 'Destination not found', about: 'No webhook destination with this id exists in your org.' },
  schedule_not_found: { status: 404, title: 'Schedule not found', about: 'No schedule with this id exists on this saved report in your org.' },
  alert_not_found: { status: 404, title: 'Alert not found', about: 'No alert with this id exists in your org.' },
  delivery_not_found: { status: 404, title: 'Delivery not found', about: 'No delivery with this id exists in your org.' },
  destination_in_use: { status: 409, title: 'Destination in use', about: 'Schedules or alerts still deliver to this destination; delete them first.' },
  delivery_in_progress: { status: 409, title: 'Delivery in progress', about: 'The delivery is being sent right now; retry it once this attempt has finished.' },
} as const satisfies Record<string, { status: number; title: string; about: string }>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export function isProblemCode(value: string): value is ProblemCode {
  return Object.prototype.hasOwnProperty.call(PROBLEM_CODES, value);
}

export const STATUS_TO_CODE: Record<number, ProblemCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'request_header_fields_too_large',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'service_unavailable',
};

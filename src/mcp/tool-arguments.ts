import { FieldError, ProblemException } from '#src/common/problem-details/problem.js';
import type { ToolOperation } from './openapi-tool-schema.js';

export interface SplitArguments {
  path: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * A tool call's flat arguments back into the route's request: path and query parameters carried
 * as the URL would carry them (text, so the route's own parsing and validation apply unchanged),
 * the rest as the JSON body. Where the route takes no body, an unknown argument is a 400 naming it,
 * as an unknown query parameter is over HTTP.
 */
export function splitArguments(op: ToolOperation, args: Record<string, unknown>): SplitArguments {
  const errors: FieldError[] = [];
  const path: Record<string, string> = {};
  const query: Record<string, string> = {};
  const body: Record<string, unknown> = {};
  const asText = (name: string, value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    errors.push({ pointer: `/${escape(name)}`, message: `${name} must be a string, a number or a boolean` });
    return undefined;
  };
  for (const name of op.pathParams) {
    const value = args[name];
    if (value === undefined || value === null) errors.push({ pointer: `/${escape(name)}`, message: `${name} is required` });
    else {
      const text = asText(name, value);
      // The route runs from a URL: "." or ".." would be read as a step up the path, not as an id.
      if (text === '.' || text === '..') errors.push({ pointer: `/${escape(name)}`, message: `${name} cannot be "${text}"` });
      else if (text !== undefined) path[name] = text;
    }
  }
  for (const name of op.queryParams) {
    const value = args[name];
    if (value === undefined || value === null) continue;
    const text = asText(name, value);
    if (text !== undefined) query[name] = text;
  }
  const params = new Set([...op.pathParams, ...op.queryParams]);
  for (const [name, value] of Object.entries(args)) {
    if (params.has(name)) continue;
    if (op.bodyProperties !== null) body[name] = value;
    else errors.push({ pointer: `/${escape(name)}`, message: `unknown argument "${name}"`, allowed: [...params] });
  }
  if (errors.length > 0) {
    throw new ProblemException('validation_failed', `The arguments have ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.pointer).join(', ')}.`, { errors });
  }
  return { path, query, body: op.bodyProperties === null ? undefined : body };
}

/**
 * A problem pointer of the HTTP request (`/query/limit`, `/path/report_id`, or into the body) as a
 * pointer into the tool's arguments, where parameters and body properties sit side by side.
 */
export function argumentPointer(op: ToolOperation, pointer: string): string {
  const m = /^\/(query|path)\/([^/]+)(.*)$/.exec(pointer);
  if (!m) return pointer;
  const [, where, segment, rest] = m;
  const name = segment.replace(/~1/g, '/').replace(/~0/g, '~');
  // A body property named "query" (export_query, create_saved_report) owns its pointers.
  if (op.bodyProperties?.includes(where)) return pointer;
  const names = where === 'query' ? op.queryParams : op.pathParams;
  return names.includes(name) ? `/${segment}${rest}` : pointer;
}

/** The route's path with the call's path parameters filled in: the problem's `instance`. */
export function routeInstance(op: ToolOperation, path: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (whole, name: string) => (path[name] !== undefined ? encodeURIComponent(path[name]) : whole));
}

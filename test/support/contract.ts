import { openapiSchemaToJsonSchema } from '@openapi-contrib/openapi-schema-to-json-schema';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type supertest from 'supertest';
import { EXPLORER_ASSETS_PREFIX, EXPLORER_PAGES } from '#src/explorer/explorer.assets.js';

/*
 * The contract check every e2e response goes through (test-app.ts wraps every supertest request
 * with it): the status must be declared for the operation, the content type must be one the
 * response declares, and a JSON body must validate against the declared schema — strictly: an
 * object schema with properties admits no other field. So the document cannot drift from the wire.
 */

// ajv-formats is CommonJS with a default export; under ESM + ts-jest it arrives either way.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;
export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Json> };
}
interface MediaTypeObject {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}
interface ResponseObject {
  description?: string;
  content?: Record<string, MediaTypeObject>;
}
export interface OperationObject {
  operationId?: string;
  requestBody?: { content?: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject>;
}

/**
 * Routes outside the document on purpose: the MCP endpoint (JSON-RPC, described by MCP; each of
 * its tools is a documented operation), the docs themselves, problem pages, test-only probes,
 * and the explorer's HTML pages and hashed assets (SPEC §13: not API operations; the explorer's
 * own test checks they stay out of the document). Exact paths, taken from the explorer's routes.
 */
const EXPLORER_PATHS = new Set(EXPLORER_PAGES.map((p) => (p === '/' ? p : `/${p}`)));
const UNDOCUMENTED = [/^\/mcp$/, /^\/docs(\/|$)/, /^\/openapi\.(json|yaml)$/, /^\/problems\//, /^\/__probe\//, { test: (path: string) => EXPLORER_PATHS.has(path) || path.startsWith(EXPLORER_ASSETS_PREFIX) }];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const JSON_TYPES = new Set(['application/json', 'application/problem+json']);

/** Adds additionalProperties: false to every object schema that lists its properties. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, strict(s)])) : strict(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** OpenAPI 3.0 schema (nullable, int formats, refs into components) → JSON Schema for ajv. */
function toJsonSchema(schema: Json, docId: string): Json {
  const converted = openapiSchemaToJsonSchema(schema as never, { strictMode: false }) as Json;
  delete converted.$schema;
  const withRefs = JSON.parse(JSON.stringify(converted), (key, value) => (key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${docId}${value}` : value));
  return strict(withRefs) as Json;
}

export class ContractValidator {
  private readonly ajv: Ajv;
  private readonly routes: { method: string; template: string; pattern: RegExp; op: OperationObject }[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  private static seq = 0;
  private readonly docId: string;

  constructor(readonly document: OpenApiDocument) {
    this.docId = `openapi-${ContractValidator.seq++}`;
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat('binary', true);
    const schemas = Object.fromEntries(Object.entries(document.components.schemas).map(([name, s]) => [name, toJsonSchema(s, this.docId)]));
    this.ajv.addSchema({ $id: this.docId, components: { schemas } });
    for (const [template, item] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of METHODS) if (item[method]) this.routes.push({ method, template, pattern, op: item[method] });
    }
  }

  /** The compiled validator of an OpenAPI schema (cached by its text). */
  validator(schema: Json): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(toJsonSchema(schema, this.docId));
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** Problems of one value against one schema, as readable lines (none when it conforms). */
  check(schema: Json, value: unknown): string[] {
    const fn = this.validator(schema);
    if (fn(value)) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  operation(method: string, path: string): { template: string; op: OperationObject } | undefined {
    const m = method.toLowerCase();
    const found = this.routes.find((r) => r.method === m && r.pattern.test(path));
    return found && { template: found.template, op: found.op };
  }

  /** Every way this response breaks the document (empty when it conforms). */
  violations(method: string, url: string, res: { status: number; headers: Record<string, string | undefined>; body: unknown; text?: string }): string[] {
    const path = new URL(url, 'http://x').pathname.replace(/\/+$/, '') || '/';
    // HEAD is GET without a body (Fastify adds it to every GET route).
    const head = method.toLowerCase() === 'head';
    const found = this.operation(head ? 'get' : method, path);
    const contentType = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!found) {
      if (res.status < 400) return UNDOCUMENTED.some((p) => p.test(path)) ? [] : [`${res.status} from ${method.toUpperCase()} ${path}, a route the document does not have`];
      // Unknown routes and methods still answer in problem+json.
      return this.body({ 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } }, contentType, res);
    }
    const declared = found.op.responses[String(res.status)] ?? found.op.responses.default;
    const where = `${method.toUpperCase()} ${found.template} (${found.op.operationId ?? '?'})`;
    if (!declared) return [`${where} answered ${res.status}, a status the document does not declare (it declares ${Object.keys(found.op.responses).join(', ')})`];
    if (head) return [];
    return this.body(declared.content, contentType, res).map((v) => `${where} ${res.status}: ${v}`);
  }

  private body(content: Record<string, MediaTypeObject> | undefined, contentType: string, res: { body: unknown; text?: string }): string[] {
    if (!content || Object.keys(content).length === 0) {
      const empty = res.text === undefined || res.text === '';
      return empty ? [] : [`a body (${contentType || 'no content type'}) where the document declares none`];
    }
    const media = content[contentType];
    if (!media) return [`content type "${contentType}" is not among the declared ${Object.keys(content).join(', ')}`];
    if (!JSON_TYPES.has(contentType) || !media.schema) return [];
    return this.check(media.schema, res.body).map((e) => `body ${e}`);
  }
}

const validators = new WeakMap<object, ContractValidator>();

/** One validator per served document (documents are compared by identity of the parsed object). */
export function contractFor(document: OpenApiDocument): ContractValidator {
  let v = validators.get(document);
  if (!v) {
    v = new ContractValidator(document);
    validators.set(document, v);
  }
  return v;
}

const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

/**
 * Wraps a supertest agent so that every request it makes checks its response against the
 * document before the test's own expectations run: a violation fails the request's promise.
 */
export function contractChecked(agent: supertest.Agent, validator: () => ContractValidator): supertest.Agent {
  return new Proxy(agent, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !(VERBS as readonly string[]).includes(prop) || typeof value !== 'function') return value;
      return (url: string, ...rest: unknown[]) => {
        const test = (value as (url: string, ...rest: unknown[]) => supertest.Test).call(target, url, ...rest);
        return test.expect((res) => {
          const problems = validator().violations(prop, url, res as never);
          if (problems.length > 0) {
            throw new Error(`Response breaks the OpenAPI document:\n  ${problems.slice(0, 20).join('\n  ')}\nbody: ${(res.text ?? '').slice(0, 800)}`);
          }
        });
      };
    },
  });
}

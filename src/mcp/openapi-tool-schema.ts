/**
 * An MCP tool's schemas, read from the service's own OpenAPI document (SPEC §12: one source with
 * OpenAPI, not a copy). A tool's arguments are one flat object: the operation's path and query
 * parameters beside the properties of its JSON body, so `inputSchema` is those parameters'
 * schemas plus the body schema's properties, with every `$ref` inlined and OpenAPI 3.0's dialect
 * (`nullable`, `example`) turned into JSON Schema. `outputSchema` is the success response's schema.
 */

export type JsonSchema = Record<string, unknown>;

interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
  example?: unknown;
}

interface OpenApiMedia {
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, OpenApiMedia> };
  responses?: Record<string, { content?: Record<string, OpenApiMedia> }>;
  security?: unknown[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** How a tool's flat arguments map back onto the route's request. */
export interface ToolOperation {
  operationId: string;
  method: string;
  /** The OpenAPI path template, e.g. `/v1/reports/saved/{report_id}`. */
  path: string;
  summary?: string;
  description?: string;
  pathParams: string[];
  queryParams: string[];
  /** The body's top-level properties; null when the route takes no JSON body. */
  bodyProperties: string[] | null;
  inputSchema: JsonSchema & { type: 'object' };
  outputSchema?: JsonSchema & { type: 'object' };
  /** Example arguments, from the parameters' and the body's OpenAPI examples. */
  example?: Record<string, unknown>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
// OpenAPI-only keywords with no meaning in JSON Schema.
const DROPPED = new Set(['nullable', 'example', 'discriminator', 'xml', 'externalDocs']);
const REF_PREFIX = '#/components/schemas/';

/** An OpenAPI 3.0 schema as JSON Schema (2020-12): `$ref`s inlined, `nullable` as a null type, `example` as `examples`. */
export function toJsonSchema(schema: unknown, doc: OpenApiDocument, trail: string[] = []): JsonSchema {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return {};
  const s = schema as JsonSchema;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.startsWith(REF_PREFIX) ? s.$ref.slice(REF_PREFIX.length) : undefined;
    const target = name === undefined ? undefined : doc.components?.schemas?.[name];
    if (!target) throw new Error(`OpenAPI: unresolvable $ref ${s.$ref}`);
    // Inlining a recursive schema would never end; none exists today, and one must fail loudly here.
    if (trail.includes(name!)) throw new Error(`OpenAPI: recursive schema ${[...trail, name].join(' → ')}`);
    const { $ref: _ref, ...siblings } = s;
    return { ...toJsonSchema(target, doc, [...trail, name!]), ...toJsonSchema(siblings, doc, trail) };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(s)) {
    if (DROPPED.has(key)) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value as JsonSchema).map(([p, v]) => [p, toJsonSchema(v, doc, trail)]));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && value && typeof value === 'object') {
      out[key] = toJsonSchema(value, doc, trail);
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map((v) => toJsonSchema(v, doc, trail));
    } else out[key] = value;
  }
  if (s.example !== undefined && out.examples === undefined) out.examples = [s.example];
  if (s.nullable === true) return nullable(out);
  return out;
}

function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string') {
    const withNull = { ...schema, type: [schema.type, 'null'] };
    return Array.isArray(schema.enum) && !schema.enum.includes(null) ? { ...withNull, enum: [...schema.enum, null] } : withNull;
  }
  if (Array.isArray(schema.type)) return schema.type.includes('null') ? schema : { ...schema, type: [...schema.type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

function findOperation(doc: OpenApiDocument, operationId: string): { method: string; path: string; op: OpenApiOperation } {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (op?.operationId === operationId) return { method: method.toUpperCase(), path, op };
    }
  }
  throw new Error(`OpenAPI: no operation ${operationId}`);
}

const jsonMedia = (content: Record<string, OpenApiMedia> | undefined): OpenApiMedia | undefined =>
  content?.['application/json'];

function firstExample(media: OpenApiMedia | undefined): unknown {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  const first = Object.values(media.examples ?? {})[0];
  return first?.value;
}

/** The tool's view of one OpenAPI operation. Throws when a parameter and a body property share a name. */
export function toolOperation(doc: OpenApiDocument, operationId: string): ToolOperation {
  const { method, path, op } = findOperation(doc, operationId);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const example: Record<string, unknown> = {};
  const pathParams: string[] = [];
  const queryParams: string[] = [];
  for (const p of op.parameters ?? []) {
    if (p.in !== 'path' && p.in !== 'query') continue;
    (p.in === 'path' ? pathParams : queryParams).push(p.name);
    const schema = toJsonSchema(p.schema ?? {}, doc);
    properties[p.name] = p.description !== undefined ? { ...schema, description: p.description } : schema;
    if (p.required || p.in === 'path') required.push(p.name);
    const ex = p.example ?? p.schema?.example;
    if (ex !== undefined) example[p.name] = ex;
  }
  let bodyProperties: string[] | null = null;
  const body = jsonMedia(op.requestBody?.content);
  if (body?.schema) {
    const schema = toJsonSchema(body.schema, doc);
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    bodyProperties = Object.keys(props);
    for (const [name, s] of Object.entries(props)) {
      if (properties[name]) throw new Error(`OpenAPI ${operationId}: body property "${name}" shadows a parameter`);
      properties[name] = s;
    }
    if (op.requestBody?.required && Array.isArray(schema.required)) required.push(...(schema.required as string[]));
    const ex = firstExample(body);
    if (ex && typeof ex === 'object' && !Array.isArray(ex)) Object.assign(example, ex);
  }
  const success = Object.entries(op.responses ?? {}).find(([status]) => /^2\d\d$/.test(status));
  const output = success ? jsonMedia(success[1].content)?.schema : undefined;
  const outputSchema = output ? toJsonSchema(output, doc) : undefined;
  return {
    operationId,
    method,
    path,
    ...(op.summary ? { summary: op.summary } : {}),
    ...(op.description ? { description: op.description } : {}),
    pathParams,
    queryParams,
    bodyProperties,
    inputSchema: { type: 'object', properties, ...(required.length > 0 ? { required } : {}) },
    ...(outputSchema?.type === 'object' ? { outputSchema: outputSchema as JsonSchema & { type: 'object' } } : {}),
    ...(Object.keys(example).length > 0 ? { example } : {}),
  };
}

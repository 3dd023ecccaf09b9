import { toJsonSchema, toolOperation, type OpenApiDocument } from './openapi-tool-schema.js';
import { argumentPointer, routeInstance, splitArguments } from './tool-arguments.js';

const DOC: OpenApiDocument = {
  paths: {
    '/things/{thing_id}': {
      get: {
        operationId: 'get_thing',
        summary: 'Get a thing',
        parameters: [
          { name: 'thing_id', in: 'path', required: true, description: 'The id.', schema: { type: 'string', example: 't_1' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
          { name: 'x-trace', in: 'header', schema: { type: 'string' } },
        ],
        responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
      },
    },
    '/things': {
      post: {
        operationId: 'create_thing',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/NewThing' }, examples: { one: { value: { name: 'a', query: { q: 1 } } } } } },
        },
        responses: { '201': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
      },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          note: { type: 'string', nullable: true, example: 'hi' },
          kind: { type: 'string', enum: ['a', 'b'], nullable: true },
          inner: { nullable: true, allOf: [{ $ref: '#/components/schemas/Inner' }] },
        },
        required: ['id'],
      },
      Inner: { type: 'object', properties: { n: { type: 'integer', format: 'int32' } } },
      NewThing: { type: 'object', properties: { name: { type: 'string' }, query: { type: 'object' } }, required: ['name'] },
    },
  },
};

describe('tool schemas from OpenAPI (SPEC §12)', () => {
  it('inlines $refs and writes nullable and example as JSON Schema', () => {
    expect(toJsonSchema({ $ref: '#/components/schemas/Thing' }, DOC)).toEqual({
      type: 'object',
      properties: {
        id: { type: 'string' },
        note: { type: ['string', 'null'], examples: ['hi'] },
        kind: { type: ['string', 'null'], enum: ['a', 'b', null] },
        inner: { anyOf: [{ allOf: [{ type: 'object', properties: { n: { type: 'integer', format: 'int32' } } }] }, { type: 'null' }] },
      },
      required: ['id'],
    });
  });

  it('refuses what it cannot inline: an unknown or a recursive $ref', () => {
    expect(() => toJsonSchema({ $ref: '#/components/schemas/Nope' }, DOC)).toThrow('unresolvable $ref');
    const loop: OpenApiDocument = { paths: {}, components: { schemas: { A: { type: 'object', properties: { a: { $ref: '#/components/schemas/A' } } } } } };
    expect(() => toJsonSchema({ $ref: '#/components/schemas/A' }, loop)).toThrow('recursive schema A → A');
  });

  it('a GET: path and query parameters become the arguments, headers do not; the 200 body is the output', () => {
    const op = toolOperation(DOC, 'get_thing');
    expect(op).toEqual({
      operationId: 'get_thing', method: 'GET', path: '/things/{thing_id}', summary: 'Get a thing',
      pathParams: ['thing_id'], queryParams: ['limit'], bodyProperties: null,
      inputSchema: {
        type: 'object',
        properties: { thing_id: { type: 'string', examples: ['t_1'], description: 'The id.' }, limit: { type: 'integer', minimum: 1 } },
        required: ['thing_id'],
      },
      outputSchema: toJsonSchema({ $ref: '#/components/schemas/Thing' }, DOC),
      example: { thing_id: 't_1' },
    });
  });

  it('a POST: the body\'s properties are the arguments, its example the example; a 201 is the output', () => {
    const op = toolOperation(DOC, 'create_thing');
    expect(op.inputSchema).toEqual({ type: 'object', properties: { name: { type: 'string' }, query: { type: 'object' } }, required: ['name'] });
    expect(op.bodyProperties).toEqual(['name', 'query']);
    expect(op.example).toEqual({ name: 'a', query: { q: 1 } });
    expect(op.outputSchema?.required).toEqual(['id']);
    expect(() => toolOperation(DOC, 'nope')).toThrow('no operation nope');
  });

  it('splits arguments back into path, query (as URL text) and body; unknown arguments of a bodiless route are refused', () => {
    const get = toolOperation(DOC, 'get_thing');
    expect(splitArguments(get, { thing_id: 't 1', limit: 5 })).toEqual({ path: { thing_id: 't 1' }, query: { limit: '5' }, body: undefined });
    expect(routeInstance(get, { thing_id: 't 1' })).toBe('/things/t%201');
    expect(() => splitArguments(get, { limit: [1], extra: 1 })).toThrow(expect.objectContaining({
      code: 'validation_failed',
      options: {
        errors: [
          { pointer: '/thing_id', message: 'thing_id is required' },
          { pointer: '/limit', message: 'limit must be a string, a number or a boolean' },
          { pointer: '/extra', message: 'unknown argument "extra"', allowed: ['thing_id', 'limit'] },
        ],
      },
    }));
    expect(() => splitArguments(get, { thing_id: '..' })).toThrow(expect.objectContaining({
      options: { errors: [{ pointer: '/thing_id', message: 'thing_id cannot be ".."' }] },
    }));
    const post = toolOperation(DOC, 'create_thing');
    expect(splitArguments(post, { name: 'a', extra: 1 })).toEqual({ path: {}, query: {}, body: { name: 'a', extra: 1 } });
  });

  it('moves the route\'s /query/ and /path/ pointers onto the arguments, but never a body property\'s', () => {
    const get = toolOperation(DOC, 'get_thing');
    expect(argumentPointer(get, '/query/limit')).toBe('/limit');
    expect(argumentPointer(get, '/path/thing_id')).toBe('/thing_id');
    expect(argumentPointer(get, '/query/other')).toBe('/query/other');
    const post = toolOperation(DOC, 'create_thing');
    expect(argumentPointer(post, '/query/q')).toBe('/query/q');
  });
});

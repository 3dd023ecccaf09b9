import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ALLOWED_ACTION_RELS } from './problem.js';
import { PROBLEM_CODES } from './problem-codes.js';

export class AllowedActionDto {
  @ApiProperty({ enum: ALLOWED_ACTION_RELS, description: 'Link relation from the closed set.' }) rel: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Short hint for a human or an agent.' }) hint?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'URL (relative or absolute) the caller may invoke.' }) href?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'HTTP method for href.' }) method?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'OpenAPI operationId to call.' }) operation_id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'OpenAPI $ref of the request body schema.' }) schema_ref?: string | null;
}

export class FieldErrorDto {
  @ApiProperty({ description: 'JSON pointer to the offending field (`/query/<name>` for query parameters).', example: '/query/dataset' })
  pointer: string;
  @ApiProperty({ example: 'unknown dataset "sesions"' }) message: string;
  @ApiPropertyOptional({ type: [String], description: 'The allowed values, where the set is closed.' }) allowed?: string[];
}

/** RFC 9457 problem details, as every non-2xx response carries them (SPEC §3). */
export class ProblemDto {
  @ApiPropertyOptional({ description: 'URI of the problem class; resolves to a short page.', example: '/problems/not_found' }) type?: string;
  @ApiProperty({ example: 'Not Found' }) title: string;
  @ApiProperty({ type: 'integer', format: 'int32', example: 404, description: 'The HTTP status, mirrored.' }) status: number;
  @ApiPropertyOptional({ example: 'No route for GET /v1/nope.' }) detail?: string;
  @ApiProperty({ enum: Object.keys(PROBLEM_CODES), example: 'not_found' }) code: string;
  @ApiPropertyOptional({ example: '/v1/nope' }) instance?: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 0, description: 'For 429 and transient 503; mirrored in Retry-After.' }) retry_after_seconds?: number;
  @ApiPropertyOptional({ type: [AllowedActionDto] }) allowed_actions?: AllowedActionDto[];
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (malformed JSON, invalid fields — see errors[])',
  401: 'Missing, malformed, unknown or revoked API key (or more than one Authorization header)',
  403: 'The key lacks the permission this route needs',
  404: 'Not found (or belongs to another org)',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Body over 1 MiB',
  414: 'A path segment over 200 characters',
  415: 'Body is not application/json',
  429: 'Rate limited per key, or too many failed authentications from this address (Retry-After)',
  500: 'Unexpected error (redacted)',
  503: 'Database unavailable, query timeout or concurrency cap (Retry-After)',
};

// SPEC §8: 429 and transient 503s carry Retry-After as well as retry_after_seconds.
const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying (mirrors retry_after_seconds).', schema: { type: 'integer', format: 'int32', minimum: 0 } },
};

/** Documents the problem+json schema for each status a route can return. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemDto, AllowedActionDto, FieldErrorDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Problem',
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}

/**
 * The statuses every authenticated route can return, plus the route's own. 413 and 415 come from
 * the body parser, so only routes that take a JSON body declare them (pass them as own, or use
 * ApiAuthedBodyProblems).
 */
export function ApiAuthedProblems(...own: number[]) {
  return ApiProblems(...[...new Set([400, 401, 403, 429, 500, 503, ...own])].sort());
}

/** The body parser's own problems: add them to a route that reads a JSON body. */
export function ApiBodyProblems() {
  return ApiProblems(413, 415);
}

/** ApiAuthedProblems for a route that reads a JSON body. */
export function ApiAuthedBodyProblems(...own: number[]) {
  return ApiAuthedProblems(413, 415, ...own);
}

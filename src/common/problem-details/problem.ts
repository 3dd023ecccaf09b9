import { PROBLEM_CODES, ProblemCode } from './problem-codes.js';

export const ALLOWED_ACTION_RELS = [
  'self', 'cancel', 'pause', 'resume', 'events', 'retry', 'retry-later', 'unarchive', 'get-existing', 'delete', 'update',
] as const;

export interface AllowedAction {
  rel: (typeof ALLOWED_ACTION_RELS)[number];
  hint?: string;
  href?: string;
  method?: string;
  operation_id?: string;
  schema_ref?: string;
}

export interface FieldError {
  pointer: string;
  message: string;
  allowed?: string[];
}

export interface ProblemBody {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code: ProblemCode;
  instance?: string;
  retry_after_seconds?: number;
  allowed_actions?: AllowedAction[];
  errors?: FieldError[];
}

export interface ProblemOptions {
  errors?: FieldError[];
  allowedActions?: AllowedAction[];
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
}

/** The project's one error class: a code from the closed table plus what this occurrence adds. */
export class ProblemException extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly options: ProblemOptions = {},
  ) {
    super(detail ?? PROBLEM_CODES[code].title);
    this.name = 'ProblemException';
  }

  get status(): number {
    return PROBLEM_CODES[this.code].status;
  }
}

import type { FieldError } from '#src/common/problem-details/problem.js';

/** Collects one problem: a JSON pointer, a message, and the allowed values where the set is closed. */
export type Report = (pointer: string, message: string, allowed?: FieldError['allowed']) => void;

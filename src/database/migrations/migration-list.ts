import { Foundation1732600000000 } from './1732600000000-foundation.js';

/** Every migration, in order. Listed explicitly (no globs) so the ESM build and the CLI agree. */
export const MIGRATIONS = [Foundation1732600000000];

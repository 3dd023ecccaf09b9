/** A bad command line: main.ts prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

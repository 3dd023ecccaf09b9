import { LoggerService } from '@nestjs/common';
import { LogLevelName } from '../../config/app-config.js';

const RANK: Record<LogLevelName, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * One JSON object per line on stdout. Callers pass structured fields; nothing here ever
 * receives headers or bodies, so API keys cannot reach the log.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevelName = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  emit(level: Exclude<LogLevelName, 'silent'>, msg: string, fields: Record<string, unknown> = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  }

  // Nest's own chatter (module init, route mapping) is debug-level; Factline logs through emit().
  log(message: unknown, context?: string): void {
    this.emit('debug', String(message), context ? { context } : {});
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    this.emit('error', String(message), { context: context ?? stackOrContext });
  }
  warn(message: unknown, context?: string): void {
    this.emit('warn', String(message), context ? { context } : {});
  }
  debug(message: unknown, context?: string): void {
    this.emit('debug', String(message), context ? { context } : {});
  }
  verbose(message: unknown, context?: string): void {
    this.emit('debug', String(message), context ? { context } : {});
  }
}

import { LoggerService } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';
import { LogLevelName } from '#src/config/app-config.js';

/** The request a line is logged for; set around each request by app.setup.ts, read by every log line. */
export const requestContext = new AsyncLocalStorage<{ request_id: string }>();

/**
 * JSON lines through pino: `{level, time, request_id?, …fields, msg}`, the level from config
 * (LOG_LEVEL). Every line logged while a request is handled carries its request id, whoever
 * logs it. Callers pass structured fields and never headers or bodies; `authorization` is redacted
 * anyway, wherever a caller might put it, so an API key cannot reach the log.
 */
export class JsonLogger implements LoggerService {
  private readonly pino: Logger;

  constructor(level: LogLevelName = 'info', write: (line: string) => void = (line) => process.stdout.write(line)) {
    this.pino = pino(
      {
        level,
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => requestContext.getStore() ?? {},
        redact: { paths: ['authorization', '*.authorization', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
      },
      { write },
    );
  }

  emit(level: Exclude<LogLevelName, 'silent'>, msg: string, fields: Record<string, unknown> = {}): void {
    this.pino[level](fields, msg);
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

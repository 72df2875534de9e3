// JSON logs on stdout, one object per line, so that operators and tests can parse them.
import winston from 'winston';
import type { LogLevel } from './config.js';

export type Logger = winston.Logger;

export function createLogger(level: LogLevel, nodeId: string): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { node: nodeId },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}

/** One admin or operator operation, as the node that served it logs it (message "audit"). */
export interface AuditEvent {
  action: string;
  actor: { name: string; role: string; via: string; from: string };
  /** "ok", or the code of the error it failed with (a ledger reason, invalid_argument...). */
  outcome: string;
  requestId?: string;
  licenceId?: string;
  leaseId?: string;
  detail?: string;
  /** The log index the operation was applied at, when it was. */
  index?: number;
}

/**
 * Logs an audit event. Fields that came from the request are cut to a bounded length; the JSON
 * format escapes control characters.
 */
export function logAudit(logger: Logger, event: AuditEvent): void {
  const bounded = (text: string | undefined) => (text === undefined ? undefined : text.slice(0, 512));
  logger.info('audit', {
    ...event,
    requestId: bounded(event.requestId),
    licenceId: bounded(event.licenceId),
    leaseId: bounded(event.leaseId),
    detail: bounded(event.detail),
  });
}

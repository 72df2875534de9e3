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

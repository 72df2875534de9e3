// Parsers for option values. They throw commander's InvalidArgumentError, which commander reports
// naming the option, and which tandemctl turns into exit code 2.
import type { Period } from '@tandem/client';
import { InvalidArgumentError } from 'commander';

const MAX_FEATURES = 64;

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive integer.`);
  return number;
}

export function period(value: string): Period {
  if (value === 'day' || value === 'week' || value === 'month') return value;
  throw new InvalidArgumentError(`"${value}" is not one of day, week, month.`);
}

/** An ISO 8601 time or milliseconds since the epoch. */
export function timeMs(value: string): number {
  if (/^\d+$/.test(value)) {
    const milliseconds = Number(value);
    if (Number.isSafeInteger(milliseconds)) return milliseconds;
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed) || parsed < 0) {
    throw new InvalidArgumentError(
      `"${value}" is not an ISO 8601 time (e.g. 2026-01-31T00:00:00Z) or epoch milliseconds.`,
    );
  }
  return parsed;
}

/** Like timeMs, and "none" (or "never") means 0: no date. */
export function timeOrNoneMs(value: string): number {
  return value === 'none' || value === 'never' ? 0 : timeMs(value);
}

/** Collects repeated `--feature key=value` options into one map. */
export function feature(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator <= 0) throw new InvalidArgumentError(`"${value}" is not key=value.`);
  const features = { ...previous };
  if (Object.keys(features).length >= MAX_FEATURES)
    throw new InvalidArgumentError(`at most ${MAX_FEATURES} features.`);
  features[value.slice(0, separator)] = value.slice(separator + 1);
  return features;
}

export function serverList(value: string): string[] {
  const servers = value
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (servers.length === 0) throw new InvalidArgumentError('expected host:port[,host:port...].');
  return servers;
}

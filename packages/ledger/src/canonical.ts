// Canonical JSON: object keys sorted, no whitespace, undefined members left out. Two equal values
// always give the same text, whatever order their keys were inserted in, which is what the state
// hash needs.
import assert from 'node:assert/strict';

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      assert.ok(Number.isFinite(value), `canonical JSON cannot hold ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const fields = value as Record<string, unknown>;
      const members: string[] = [];
      for (const key of Object.keys(fields).sort()) {
        if (fields[key] !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(fields[key])}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      return assert.fail(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/**
 * Freezes a plain-data value and everything inside it, except byte buffers (which JavaScript cannot
 * freeze); returns it for chaining.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

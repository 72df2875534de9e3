// The console's calls to its node's JSON API: same origin only, with the bearer token from the login
// form (kept in this tab's sessionStorage) or with the browser's client certificate, which TLS sends
// by itself. Errors come back as ApiError with the server's JSON error.
import type { ApiError as ApiErrorBody } from '../api-types.js';

const TOKEN_KEY = 'tandem.console.token';
/** A call that has not answered in this long is abandoned (the server's own limit is 30 s). */
const REQUEST_TIMEOUT_MS = 30_000;

export const credentials = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  setToken(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

/** The headers of every API call: the token, if the user logged in with one. */
export function authorizationHeaders(): Record<string, string> {
  const token = credentials.token();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

async function send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: {
      ...authorizationHeaders(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    credentials: 'same-origin',
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error =
      typeof parsed === 'object' && parsed !== null && 'message' in parsed
        ? (parsed as ApiErrorBody)
        : { error: `http_${response.status}`, message: `${response.status} ${response.statusText}` };
    throw new ApiError(response.status, error);
  }
  return parsed as T;
}

export const apiGet = <T>(path: string) => send<T>('GET', path);
export const apiPost = <T>(path: string, body: unknown) => send<T>('POST', path, body);

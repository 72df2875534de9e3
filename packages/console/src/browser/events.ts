// The live updates: GET /api/events read as server-sent events through fetch (EventSource cannot
// send the Authorization header). When the stream breaks — the node restarts or dies — the page
// keeps what it shows, says so, and reconnects every retry interval until the node answers again.
import type { ConsoleStatusEvent } from '../api-types.js';
import { authorizationHeaders } from './api.js';

/** The longest event the page takes; the server's are a few kilobytes. */
const MAX_EVENT_CHARACTERS = 1_000_000;
const DEFAULT_RETRY_MS = 1000;

export interface EventHandlers {
  status(event: ConsoleStatusEvent): void;
  connection(state: { connected: boolean; detail: string }): void;
  /** The credentials were refused (401): the page goes back to the login form. */
  unauthenticated(): void;
}

/** Reads the stream until stop() is called; returns stop. */
export function streamEvents(handlers: EventHandlers): () => void {
  const controller = new AbortController();
  let retryMs = DEFAULT_RETRY_MS;
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch('/api/events', {
          headers: authorizationHeaders(),
          signal: controller.signal,
          credentials: 'same-origin',
        });
        if (response.status === 401) {
          handlers.unauthenticated();
          return;
        }
        if (!response.ok || response.body === null) throw new Error(`the node answered ${response.status}`);
        handlers.connection({ connected: true, detail: 'live' });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          if (buffer.length > MAX_EVENT_CHARACTERS) throw new Error('an event too large to read');
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            const parsed = parseBlock(block);
            if (parsed.retryMs !== null) retryMs = parsed.retryMs;
            if (parsed.event === 'status' && parsed.data !== '') {
              handlers.status(JSON.parse(parsed.data) as ConsoleStatusEvent);
            }
          }
        }
        throw new Error('the node ended the stream');
      } catch (error) {
        if (controller.signal.aborted) return;
        handlers.connection({
          connected: false,
          detail: `lost contact with this node (${(error as Error).message}); retrying every ${retryMs / 1000} s`,
        });
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  };
  void run();
  return () => controller.abort();
}

function parseBlock(block: string): { event: string; data: string; retryMs: number | null } {
  let event = 'message';
  const data: string[] = [];
  let retryMs: number | null = null;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Math.min(Number(value), 30_000);
  }
  return { event, data: data.join('\n'), retryMs };
}

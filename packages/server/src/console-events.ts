// GET /api/events: the console's live updates as server-sent events. The node looks at its own view
// of the cluster every few hundred milliseconds and sends a `status` event when it changed (leader,
// term, applied index, a peer's reachability or sync) and at least every keepalive, so that a page
// learns of a failover as soon as the node it talks to does, without reloading. The page reads the
// stream with fetch, which (unlike EventSource) can send the Authorization header.
import type { ServerResponse } from 'node:http';
import type { ClusterStatusJson, ConsoleStatusEvent } from '@tandem/console';
import type { ConsoleHistory } from './console-history.js';
import { HttpError, type RouteRequest, type RouteResult } from './http-route.js';
import type { Identity } from './identity.js';

/** Event streams open at once on one node; more are refused with 503 until one closes. */
export const MAX_EVENT_STREAMS = 32;
/** A status event at least this often, so that proxies and the page know the stream is alive. */
export const EVENT_KEEPALIVE_MS = 15_000;
/** The page reconnects after this when the stream breaks (the SSE `retry` field). */
export const EVENT_RETRY_MS = 1000;

export interface EventSourceOptions {
  nodeId: string;
  history: ConsoleHistory;
  /** This node's ClusterStatus, as the caller. */
  clusterStatus(identity: Identity): Promise<ClusterStatusJson>;
  appliedIndex(): number;
  intervalMs: number;
}

export class ConsoleEvents {
  private open = 0;

  constructor(private readonly options: EventSourceOptions) {}

  async stream(request: RouteRequest, response: ServerResponse): Promise<RouteResult> {
    const identity = request.identity;
    if (identity === null) throw new HttpError(401, 'unauthenticated', 'the event stream needs credentials');
    if (this.open >= MAX_EVENT_STREAMS) {
      throw new HttpError(
        503,
        'too_many_streams',
        `this node serves at most ${MAX_EVENT_STREAMS} event streams`,
      );
    }
    this.open += 1;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write(`retry: ${EVENT_RETRY_MS}\n\n`);
    let lastKey = '';
    let lastSentMs = 0;
    let busy = false;
    const tick = async () => {
      if (busy || request.signal.aborted) return;
      busy = true;
      try {
        this.options.history.observe();
        const cluster = await this.options.clusterStatus(identity);
        const appliedIndex = this.options.appliedIndex();
        const key = JSON.stringify([
          appliedIndex,
          cluster.leaderId,
          cluster.inSync,
          cluster.openIncidents,
          cluster.nodes.map((node) => [
            node.state,
            node.term,
            node.reachable,
            node.inSync,
            node.lagEntries > 0,
          ]),
        ]);
        const nowMs = Date.now();
        if (key === lastKey && nowMs - lastSentMs < EVENT_KEEPALIVE_MS) return;
        lastKey = key;
        lastSentMs = nowMs;
        const event: ConsoleStatusEvent = {
          nodeId: this.options.nodeId,
          atMs: nowMs,
          appliedIndex,
          cluster,
          leadership: this.options.history.leadership.recent(),
        };
        response.write(`event: status\ndata: ${JSON.stringify(event)}\n\n`);
      } catch (error) {
        // A status the node cannot give now (it is stopping) ends the stream; the page reconnects.
        response.write(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
        response.end();
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), this.options.intervalMs);
    request.signal.addEventListener('abort', () => {
      clearInterval(timer);
      this.open -= 1;
    });
    void tick();
    return { streamed: response };
  }
}

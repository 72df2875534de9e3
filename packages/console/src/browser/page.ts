// What every page of the console is: an element, a refresh from the API, and (if it wants) the live
// status events as they come.
import type { ConsoleSession, ConsoleStatusEvent } from '../api-types.js';

export interface PageContext {
  session: ConsoleSession;
  /** The last status event, null before the first. */
  status(): ConsoleStatusEvent | null;
  /** Says something in the page's notice line (an error, a revoke done), with links if any. */
  notify(message: string, kind?: 'info' | 'error', ...extra: Node[]): void;
  /** A link to another data node's console, if the configuration says where it is. */
  consoleLink(nodeId: string): HTMLAnchorElement | null;
}

export interface Page {
  element: HTMLElement;
  /** Reads the page's data again (on open, and when the ledger moved on). */
  refresh(): Promise<void>;
  /** A status event came (the cluster page draws from it directly). */
  onStatus?(event: ConsoleStatusEvent): void;
  dispose?(): void;
}

export interface PageDefinition {
  id: string;
  title: string;
  create(context: PageContext): Page;
}

// The web console: log in (a client certificate the browser presents, or a token typed into the
// form), then one page at a time (#/cluster, #/licences, ...), kept current by the node's event
// stream: a status event redraws the cluster, and a new applied index makes the open page read its
// data again. Everything comes from the node that served the page.
import type { ConsoleSession, ConsoleStatusEvent } from '../api-types.js';
import { ApiError, apiGet, credentials } from './api.js';
import { h, replace } from './dom.js';
import { streamEvents } from './events.js';
import type { Page, PageContext, PageDefinition } from './page.js';
import { clusterPage } from './pages/cluster.js';
import { incidentsPage } from './pages/incidents.js';
import { leasesPage } from './pages/leases.js';
import { licencesPage } from './pages/licences.js';
import { usagePage } from './pages/usage.js';

const PAGES: PageDefinition[] = [clusterPage, licencesPage, leasesPage, usagePage, incidentsPage];
/** Several ledger changes in a row make one refresh. */
const REFRESH_DEBOUNCE_MS = 300;

const root = document.getElementById('root') as HTMLElement;

async function start(): Promise<void> {
  let session: ConsoleSession;
  try {
    session = await apiGet<ConsoleSession>('/api/session');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      showLogin(credentials.token() === null ? null : error.message);
      return;
    }
    replace(
      root,
      h(
        'div',
        { class: 'login' },
        h('h1', {}, 'Tandem'),
        h('p', { class: 'error' }, `The node did not answer: ${(error as Error).message}`),
      ),
    );
    return;
  }
  showConsole(session);
}

function showLogin(problem: string | null): void {
  credentials.clear();
  const token = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    placeholder: 'Bearer token',
    'data-testid': 'token',
    required: true,
  });
  const form = h(
    'form',
    { class: 'login', 'data-testid': 'login' },
    h('h1', {}, 'Tandem console'),
    h(
      'p',
      {},
      "Log in with a token from the node's auth.tokens, or open this page with a client certificate of the cluster CA (tandem://viewer/..., operator or admin) installed in your browser.",
    ),
    problem === null ? null : h('p', { class: 'error', 'data-testid': 'login-error' }, problem),
    token,
    h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Log in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    credentials.setToken(token.value.trim());
    void start();
  });
  replace(root, form);
  token.focus();
}

function showConsole(session: ConsoleSession): void {
  let status: ConsoleStatusEvent | null = null;
  let lastApplied = -1;
  let lastLeader = '';
  let current: { definition: PageDefinition; page: Page } | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  const notice = h('div', { class: 'notice', 'data-testid': 'notice', role: 'status' });
  const connection = h('span', { class: 'connection', 'data-testid': 'connection' }, 'connecting…');
  const leaderBadge = h('span', { class: 'badge', 'data-testid': 'header-leader' }, '');
  const nav = h('nav');
  const main = h('main');
  const context: PageContext = {
    session,
    status: () => status,
    notify(message, kind = 'info', ...extra) {
      replace(notice, message, ...extra);
      notice.className = `notice ${kind}`;
    },
    consoleLink(nodeId) {
      const known = session.consoles.find((entry) => entry.nodeId === nodeId);
      if (known === undefined || nodeId === session.nodeId) return null;
      return h('a', { href: known.url, 'data-testid': `console-link-${nodeId}` }, `Open ${nodeId}'s console`);
    },
  };

  /** The notice says the last refresh failed: the next one that works clears it. */
  let refreshFailed = false;
  const refresh = async () => {
    if (current === null) return;
    const title = current.definition.title.toLowerCase();
    try {
      await current.page.refresh();
      if (refreshFailed) {
        replace(notice);
        notice.className = 'notice';
        refreshFailed = false;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        showLogin(error.message);
        return;
      }
      refreshFailed = true;
      if (error instanceof ApiError && error.body.error === 'not_leader') {
        // Reads are linearizable: only the leader answers them. The page fills in by itself when
        // this node leads (a failover), or the user opens the leader's console.
        const leader = error.body.leaderId ?? status?.cluster.leaderId ?? '';
        const link = leader === '' ? null : context.consoleLink(leader);
        context.notify(
          `Node ${session.nodeId} is not the leader: ${title} come from the leader${leader === '' ? '' : ` (${leader})`}. Open its console, or stay: this page fills in when ${session.nodeId} leads. `,
          'error',
          ...(link === null ? [] : [link]),
        );
        return;
      }
      context.notify(`Could not read ${title}: ${(error as Error).message}`, 'error');
    }
  };
  const scheduleRefresh = () => {
    if (refreshTimer !== null) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void refresh();
    }, REFRESH_DEBOUNCE_MS);
  };

  const open = () => {
    const id = location.hash.replace(/^#\/?/, '') || 'cluster';
    const definition = PAGES.find((page) => page.id === id) ?? clusterPage;
    current?.page.dispose?.();
    replace(notice);
    notice.className = 'notice';
    const page = definition.create(context);
    current = { definition, page };
    replace(main, h('h1', {}, definition.title), page.element);
    for (const link of nav.querySelectorAll('a'))
      link.classList.toggle('active', link.dataset.page === definition.id);
    void refresh();
  };

  replace(nav, ...PAGES.map((page) => h('a', { href: `#/${page.id}`, 'data-page': page.id }, page.title)));
  const signOut = h(
    'button',
    {
      class: 'link',
      onclick: () => {
        credentials.clear();
        location.reload();
      },
    },
    'Sign out',
  );
  replace(
    root,
    h(
      'header',
      {},
      h('strong', { class: 'brand' }, 'Tandem'),
      h('span', { class: 'muted' }, `node ${session.nodeId}`),
      leaderBadge,
      connection,
      h('span', { class: 'who', 'data-testid': 'who' }, `${session.name} (${session.role}, ${session.via})`),
      session.via === 'token' ? signOut : null,
    ),
    nav,
    notice,
    main,
  );
  window.addEventListener('hashchange', open);
  open();

  streamEvents({
    status(event) {
      status = event;
      const leader = event.cluster.leaderId;
      replace(leaderBadge, leader === '' ? 'no leader' : `leader: ${leader}`);
      leaderBadge.className = `badge ${leader === '' ? 'bad' : 'good'}`;
      current?.page.onStatus?.(event);
      if (event.appliedIndex !== lastApplied || event.cluster.leaderId !== lastLeader) {
        if (lastApplied >= 0 && current?.page.onStatus === undefined) scheduleRefresh();
        lastApplied = event.appliedIndex;
        lastLeader = event.cluster.leaderId;
      }
    },
    connection(state) {
      replace(connection, state.connected ? 'live' : 'reconnecting…');
      connection.className = `connection ${state.connected ? 'ok' : 'down'}`;
      connection.title = state.detail;
      if (!state.connected) {
        // The other nodes' consoles, where the configuration says where they are.
        const links = session.consoles.flatMap((entry) => {
          const link = context.consoleLink(entry.nodeId);
          return link === null ? [] : [document.createTextNode(' '), link];
        });
        context.notify(
          `Lost contact with node ${session.nodeId}: ${state.detail}. The page shows what it last saw.`,
          'error',
          ...links,
        );
      } else if (notice.textContent?.startsWith('Lost contact')) {
        replace(notice);
        scheduleRefresh();
      }
    },
    unauthenticated() {
      showLogin('The node no longer takes these credentials.');
    },
  });
}

void start();

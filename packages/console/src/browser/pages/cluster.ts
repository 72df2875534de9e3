// Cluster: every node with its role, state, term, lag, sync and health, the leader, and the
// leadership changes this node saw. Drawn from the live status events; /api/cluster at first.
import type { ClusterStatusJson, ConsoleStatusEvent, LeadershipChange } from '../../api-types.js';
import { apiGet } from '../api.js';
import { h, replace, table } from '../dom.js';
import { duration, enumWord, time } from '../format.js';
import type { PageDefinition } from '../page.js';

export const clusterPage: PageDefinition = {
  id: 'cluster',
  title: 'Cluster',
  create(context) {
    const element = h('section', { class: 'page', 'data-page': 'cluster' });
    const draw = (cluster: ClusterStatusJson, leadership: LeadershipChange[], from: string) => {
      const leader = cluster.leaderId;
      const term = cluster.nodes.find((node) => node.id === from)?.term ?? 0;
      replace(
        element,
        h(
          'div',
          { class: 'summary' },
          h(
            'div',
            { class: `tile ${leader === '' ? 'bad' : 'good'}` },
            h('span', { class: 'label' }, 'Leader'),
            h('strong', { 'data-testid': 'leader' }, leader === '' ? 'none' : leader),
            h('span', { class: 'sub' }, `term ${term}, as ${from} sees it`),
          ),
          h(
            'div',
            { class: 'tile' },
            h('span', { class: 'label' }, 'In sync'),
            h('strong', {}, cluster.inSync.join(', ') || 'none'),
          ),
          h(
            'div',
            { class: `tile ${cluster.openIncidents > 0 ? 'bad' : ''}` },
            h('span', { class: 'label' }, 'Open incidents'),
            h('strong', {}, cluster.openIncidents),
          ),
          h(
            'div',
            { class: 'tile' },
            h('span', { class: 'label' }, 'Cluster id'),
            h('code', {}, cluster.clusterId || '—'),
          ),
        ),
        h('h2', {}, 'Nodes'),
        table(
          ['Node', 'Role', 'State', 'Term', 'Applied', 'Lag', 'In sync', 'Health', 'Last contact'],
          cluster.nodes.map((node) => {
            const self = node.id === from;
            const healthy = self || node.reachable;
            return [
              h('span', {}, node.id, self ? h('span', { class: 'tag' }, 'this node') : null),
              enumWord(node.role),
              h(
                'span',
                { 'data-testid': `state-${node.id}`, class: node.id === leader ? 'leader' : '' },
                node.id === leader ? 'leader' : enumWord(node.state),
              ),
              node.term,
              self ? node.appliedIndex : '—',
              node.role === 'ROLE_WITNESS'
                ? '—'
                : node.lagEntries === 0
                  ? 'none'
                  : `${node.lagEntries} entries, ${duration(node.lagMs)}`,
              node.inSync ? 'yes' : 'no',
              h('span', { class: healthy ? 'ok' : 'down' }, healthy ? 'reachable' : 'unreachable'),
              self ? '—' : `${duration(node.lastContactMs)} ago`,
            ];
          }),
          { 'data-testid': 'nodes' },
        ),
        h('h2', {}, 'Recent leadership changes'),
        leadership.length === 0
          ? h('p', { class: 'muted' }, 'None seen since this node started.')
          : table(
              ['When', 'Term', 'Leader'],
              [...leadership]
                .reverse()
                .map((change) => [time(change.atMs), change.term, change.leaderId || 'none']),
              { 'data-testid': 'leadership' },
            ),
        h(
          'p',
          { class: 'muted' },
          'Leadership changes are those this node saw, kept in its memory (the last 50).',
        ),
      );
    };
    return {
      element,
      async refresh() {
        const status = context.status();
        if (status !== null) {
          draw(status.cluster, status.leadership, status.nodeId);
          return;
        }
        const cluster = await apiGet<ClusterStatusJson & { leadership: LeadershipChange[] }>('/api/cluster');
        draw(cluster, cluster.leadership, context.session.nodeId);
      },
      onStatus(event: ConsoleStatusEvent) {
        draw(event.cluster, event.leadership, event.nodeId);
      },
    };
  },
};

// Interaction scripts in the style of etcd-io/raft's datadriven tests. A script is a sequence of
// cases; each case is a command line, a line "----", and the expected output, ending at a blank
// line. Lines starting with '#' before a command are comments. Running with REWRITE=1 replaces
// every expected output with the actual one (review the diff before trusting it).
//
// Commands (node ids are the numbers 1, 2, ...; lists are written (1,2,3) without spaces):
//   add-nodes <count> [voters=(..)] [in-sync=(..)] [pre-vote=true] [check-quorum=true]
//             [election=<ticks>] [heartbeat=<ticks>] [max-entries=<n>] [max-inflight=<n>]
//             [mode=pair] [priority=<id>] [vote-wait=<ticks>] [startup-grace=<ticks>]
//             [mode=witness witness=<id>]   (witness mode: data nodes; add the witness next)
//   add-witness <id> data=(..) [election=<ticks>] [heartbeat=<ticks>]   a WitnessCore for witness mode
//   set-jitter <id> <ticks>          what randomInt returns for the node's election jitter
//   campaign <id> | tick <id> [count] | tick-election <id> | tick-heartbeat <id>
//   propose <id> <word>...           one batch, one entry per word
//   propose-configuration <id> voters=(..) in-sync=(..)
//   transfer-leadership <from> <to>
//   process-ready <id>...            persist, send, apply, advance one Ready per node
//   deliver-msgs <id>... [from=<id>] [type=<type>]   step pending messages addressed to these nodes
//   drop-msgs <id>... [from=<id>] [type=<type>]      lose pending messages addressed to these nodes
//   stabilize [<id>...]              process Readies and deliver messages until nothing is left
//   isolate <id> | heal              messages from or to an isolated node are lost on delivery
//   cut <a> <b> [one-way=true]       messages between a and b (or only from a to b) are lost; heal ends it
//   stop <id> | start <id>           a stopped node does not run and loses what it did not persist
//   wipe <id>                        a stopped data node loses its disk (it starts again empty)
//   run <rounds> [<id>...] [verbose=true]   each round ticks every running node (or the listed
//                                    ones) once, then stabilizes the running nodes; prints the
//                                    traces with their round number (every Ready and message with
//                                    verbose=true) and reports delivered snapshots as finished
//   take-ready <id> | finish-ready <id> | has-ready <id>   hold a Ready while other things happen
//   restart <id> | persist-and-crash <id>
//   compact <id> <index>             snapshot the state machine at an applied index
//   report-snapshot <leader> <to> finished|failed
//   status <id> | log <id> | applied <id> | raft-state
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConsensusError } from '../src/errors.js';
import type { Message, NodeId } from '../src/types.js';
import {
  formatApplied,
  formatMessage,
  formatReady,
  formatSnapshotMetadata,
  formatStatus,
  formatStorage,
  formatWitnessState,
  formatWitnessStatus,
} from './format.js';
import { bytes, DEFAULT_NODE_OPTIONS, SimulatedCluster } from './simulated-cluster.js';

/** Bounds stabilize so that a livelock fails the test instead of hanging it. */
const MAX_STABILIZE_ROUNDS = 1000;

interface ScriptCase {
  comments: string[];
  command: string;
  expected: string[];
  line: number;
}

interface ParsedScript {
  cases: ScriptCase[];
  trailingComments: string[];
}

export function parseScript(text: string): ParsedScript {
  const lines = text.split('\n');
  const cases: ScriptCase[] = [];
  let comments: string[] = [];
  let position = 0;
  while (position < lines.length) {
    const line = lines[position] ?? '';
    if (line.trim() === '') {
      position += 1;
      continue;
    }
    if (line.startsWith('#')) {
      comments.push(line);
      position += 1;
      continue;
    }
    const commandLine = position + 1;
    assert.equal(lines[position + 1], '----', `line ${commandLine + 1}: expected ---- after the command`);
    position += 2;
    const expected: string[] = [];
    while (position < lines.length && (lines[position] ?? '') !== '') {
      expected.push(lines[position] ?? '');
      position += 1;
    }
    cases.push({ comments, command: line, expected, line: commandLine });
    comments = [];
  }
  return { cases, trailingComments: comments };
}

export interface ScriptResult {
  failures: string[];
  rewritten: string;
}

export function runScriptFile(path: string): ScriptResult {
  const parsed = parseScript(readFileSync(path, 'utf8'));
  const environment = new InteractionEnvironment();
  const failures: string[] = [];
  const blocks: string[] = [];
  for (const scriptCase of parsed.cases) {
    const actual = environment.execute(scriptCase.command);
    if (actual.join('\n') !== scriptCase.expected.join('\n')) {
      failures.push(
        `${path}:${scriptCase.line}: ${scriptCase.command}\n--- expected\n${scriptCase.expected.join('\n')}\n` +
          `--- actual\n${actual.join('\n')}`,
      );
    }
    blocks.push([...scriptCase.comments, scriptCase.command, '----', ...actual].join('\n'));
  }
  if (parsed.trailingComments.length > 0) blocks.push(parsed.trailingComments.join('\n'));
  const rewritten = `${blocks.join('\n\n')}\n`;
  if (process.env.REWRITE === '1') {
    writeFileSync(path, rewritten);
    return { failures: [], rewritten };
  }
  return { failures, rewritten };
}

interface ParsedCommand {
  name: string;
  positional: string[];
  named: Map<string, string>;
}

function parseCommand(line: string): ParsedCommand {
  const [name, ...words] = line.trim().split(/\s+/);
  assert.ok(name !== undefined && name !== '', 'empty command');
  const positional: string[] = [];
  const named = new Map<string, string>();
  for (const word of words) {
    const equals = word.indexOf('=');
    if (equals > 0) named.set(word.slice(0, equals), word.slice(equals + 1));
    else positional.push(word);
  }
  return { name, positional, named };
}

function parseList(value: string): string[] {
  assert.ok(value.startsWith('(') && value.endsWith(')'), `a list is written (a,b): ${value}`);
  const inner = value.slice(1, -1);
  return inner === '' ? [] : inner.split(',');
}

/** deliver-msgs and drop-msgs may pick messages by sender (from=) and type (type=). */
function messageFilter(named: Map<string, string>): (message: Message) => boolean {
  const from = named.get('from');
  const type = named.get('type');
  return (message) =>
    (from === undefined || message.from === from) && (type === undefined || message.type === type);
}

function parseCount(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const count = Number(value);
  assert.ok(Number.isSafeInteger(count) && count >= 0, `not a count: ${value}`);
  return count;
}

class InteractionEnvironment {
  private readonly cluster: SimulatedCluster;
  private output: string[] = [];
  private indent = '';
  /** Inside run without verbose=true: only traces are printed, prefixed with the round. */
  private quietRound: number | null = null;
  /** Inside run: the driver reports every delivered snapshot as finished. */
  private reportSnapshots = false;

  constructor() {
    this.cluster = new SimulatedCluster((line) => this.print(`INFO ${line}`));
  }

  execute(line: string): string[] {
    this.output = [];
    this.indent = '';
    const command = parseCommand(line);
    try {
      this.run(command);
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      this.print(`error ${error.code}: ${error.message}`);
    }
    return this.output.length === 0 ? ['ok'] : this.output;
  }

  private print(text: string): void {
    if (this.quietRound !== null) {
      if (text.startsWith('INFO ')) this.output.push(`[${this.quietRound}] ${text.slice(5)}`);
      return;
    }
    this.output.push(`${this.indent}${text}`);
  }

  private ids(command: ParsedCommand): NodeId[] {
    if (command.positional.length > 0) return command.positional;
    return [...this.cluster.nodes.keys(), ...this.cluster.witnesses.keys()];
  }

  private firstId(command: ParsedCommand): NodeId {
    const id = command.positional[0];
    assert.ok(id !== undefined, `${command.name} needs a node id`);
    return id;
  }

  private run(command: ParsedCommand): void {
    const { named, positional } = command;
    switch (command.name) {
      case 'add-nodes': {
        const count = parseCount(positional[0], 1);
        const start = this.cluster.nodes.size + 1;
        const ids = Array.from({ length: count }, (_, offset) => String(start + offset));
        const voters = named.has('voters') ? parseList(named.get('voters') ?? '') : ids;
        const inSync = named.has('in-sync') ? parseList(named.get('in-sync') ?? '') : voters;
        for (const id of ids) {
          this.cluster.addNode(id, {
            configuration: { voters, inSync },
            preVote: named.get('pre-vote') === 'true',
            checkQuorum: named.get('check-quorum') === 'true',
            electionTimeoutTicks: parseCount(
              named.get('election'),
              DEFAULT_NODE_OPTIONS.electionTimeoutTicks,
            ),
            heartbeatIntervalTicks: parseCount(
              named.get('heartbeat'),
              DEFAULT_NODE_OPTIONS.heartbeatIntervalTicks,
            ),
            maxEntriesPerMessage: parseCount(
              named.get('max-entries'),
              DEFAULT_NODE_OPTIONS.maxEntriesPerMessage,
            ),
            maxInflightMessages: parseCount(
              named.get('max-inflight'),
              DEFAULT_NODE_OPTIONS.maxInflightMessages,
            ),
            mode:
              named.get('mode') === 'pair'
                ? 'pair'
                : named.get('mode') === 'witness'
                  ? 'witness'
                  : 'majority',
            priorityNodeId: named.get('priority'),
            witnessNodeId: named.get('witness'),
            pairVoteWaitTicks: named.has('vote-wait') ? parseCount(named.get('vote-wait'), 1) : undefined,
            startupGraceTicks: named.has('startup-grace')
              ? parseCount(named.get('startup-grace'), 0)
              : undefined,
          });
        }
        return;
      }
      case 'add-witness':
        this.cluster.addWitness(this.firstId(command), {
          dataNodeIds: parseList(named.get('data') ?? '()'),
          failoverTimeoutTicks: parseCount(named.get('election'), DEFAULT_NODE_OPTIONS.electionTimeoutTicks),
          heartbeatIntervalTicks: parseCount(
            named.get('heartbeat'),
            DEFAULT_NODE_OPTIONS.heartbeatIntervalTicks,
          ),
        });
        return;
      case 'set-jitter':
        this.cluster.node(this.firstId(command)).jitterTicks = parseCount(positional[1], 0);
        return;
      case 'campaign':
        this.cluster.node(this.firstId(command)).raft.campaign();
        return;
      case 'tick': {
        const witness = this.cluster.witnesses.get(this.firstId(command));
        if (witness !== undefined) {
          for (let tick = 0; tick < parseCount(positional[1], 1); tick += 1) witness.core.tick();
          return;
        }
        const node = this.cluster.node(this.firstId(command));
        for (let tick = 0; tick < parseCount(positional[1], 1); tick += 1) node.raft.tick();
        return;
      }
      case 'tick-election': {
        const node = this.cluster.node(this.firstId(command));
        const ticks =
          node.options.electionTimeoutTicks +
          Math.min(node.jitterTicks, node.options.electionTimeoutTicks - 1);
        for (let tick = 0; tick < ticks; tick += 1) node.raft.tick();
        return;
      }
      case 'tick-heartbeat': {
        const node = this.cluster.node(this.firstId(command));
        for (let tick = 0; tick < node.options.heartbeatIntervalTicks; tick += 1) node.raft.tick();
        return;
      }
      case 'propose': {
        const node = this.cluster.node(this.firstId(command));
        const position = node.raft.propose('normal', positional.slice(1).map(bytes));
        this.print(`proposed ${position.firstIndex}..${position.lastIndex} at term ${position.term}`);
        return;
      }
      case 'propose-configuration': {
        const node = this.cluster.node(this.firstId(command));
        const position = node.raft.proposeConfiguration({
          voters: parseList(named.get('voters') ?? '()'),
          inSync: parseList(named.get('in-sync') ?? '()'),
        });
        this.print(`proposed configuration at ${position.firstIndex} term ${position.term}`);
        return;
      }
      case 'transfer-leadership': {
        const transferee = positional[1];
        assert.ok(transferee !== undefined, 'transfer-leadership <from> <to>');
        this.cluster.node(this.firstId(command)).raft.transferLeadership(transferee);
        return;
      }
      case 'process-ready':
        for (const id of this.ids(command)) this.processReady(id);
        return;
      case 'deliver-msgs':
        for (const id of this.ids(command)) this.deliverTo(id, messageFilter(named));
        return;
      case 'drop-msgs':
        for (const id of this.ids(command)) {
          for (const message of this.cluster.takeMessagesTo(id, messageFilter(named))) {
            this.print(`dropped: ${formatMessage(message)}`);
          }
        }
        return;
      case 'refuse':
        // The vote requests waiting for a (stopped) node are refused at the connection: each
        // sender's transport reports it (Driver.reportVoteRefused), and nothing reaches the node.
        for (const id of this.ids(command)) {
          for (const message of this.cluster.takeMessagesTo(id, (each) => each.type === 'request_vote')) {
            if (message.type !== 'request_vote') continue;
            this.print(`refused: ${formatMessage(message)}`);
            this.cluster.node(message.from).raft.voteRequestRefused(message.to, {
              term: message.term,
              preVote: message.preVote,
            });
          }
        }
        return;
      case 'stabilize':
        this.stabilize(this.ids(command));
        return;
      case 'isolate':
        this.cluster.isolated.add(this.firstId(command));
        return;
      case 'heal':
        this.cluster.isolated.clear();
        this.cluster.cutLinks.clear();
        return;
      case 'cut': {
        const [from, to] = positional;
        assert.ok(from !== undefined && to !== undefined, 'cut <a> <b>');
        this.cluster.cutLinks.add(`${from}->${to}`);
        if (named.get('one-way') !== 'true') this.cluster.cutLinks.add(`${to}->${from}`);
        return;
      }
      case 'stop':
        this.cluster.stop(this.firstId(command));
        return;
      case 'start':
        this.cluster.start(this.firstId(command));
        return;
      case 'wipe': {
        const id = this.firstId(command);
        assert.ok(this.cluster.down.has(id), `stop ${id} before wiping its disk`);
        const { storage } = this.cluster.node(id);
        storage.hardState = null;
        storage.snapshot = null;
        storage.entries = [];
        return;
      }
      case 'run':
        this.runRounds(parseCount(positional[0], 1), positional.slice(1), named.get('verbose') === 'true');
        return;
      case 'restart':
        this.cluster.restart(this.firstId(command));
        return;
      case 'persist-and-crash': {
        const id = this.firstId(command);
        const mark = this.output.length;
        const ready = this.cluster.persistAndCrash(id);
        const traces = this.output.splice(mark);
        if (ready !== null) this.printSection(`> ${id} persisted a Ready, then crashed`, formatReady(ready));
        this.output.push(...traces);
        return;
      }
      case 'take-ready': {
        const id = this.firstId(command);
        const ready = this.cluster.takeReady(id);
        if (ready !== null)
          this.printSection(`> ${id} took a Ready (held until finish-ready)`, formatReady(ready));
        return;
      }
      case 'finish-ready': {
        const id = this.firstId(command);
        this.print(`> ${id} persisted, sent, applied and advanced the held Ready`);
        this.cluster.finishReady(id);
        return;
      }
      case 'has-ready':
        this.print(`${this.cluster.node(this.firstId(command)).raft.hasReady()}`);
        return;
      case 'compact': {
        const snapshot = this.cluster.compact(this.firstId(command), parseCount(positional[1], 0));
        this.print(`snapshot ${formatSnapshotMetadata(snapshot.metadata)} bytes=${snapshot.data.byteLength}`);
        return;
      }
      case 'report-snapshot': {
        const to = positional[1];
        const report = positional[2];
        assert.ok(
          to !== undefined && (report === 'finished' || report === 'failed'),
          'report-snapshot <l> <to> <r>',
        );
        this.cluster.node(this.firstId(command)).raft.reportSnapshot(to, report);
        return;
      }
      case 'status':
        if (this.cluster.witnesses.has(this.firstId(command))) {
          const witness = this.cluster.witness(this.firstId(command));
          for (const line of formatWitnessStatus(witness.core.status())) this.print(line);
          this.print(formatWitnessState(witness.stored));
          return;
        }
        for (const line of formatStatus(this.cluster.node(this.firstId(command)).raft.status()))
          this.print(line);
        return;
      case 'log':
        for (const line of formatStorage(this.cluster.node(this.firstId(command)).storage)) this.print(line);
        return;
      case 'applied': {
        const applied = this.cluster.node(this.firstId(command)).applied;
        if (applied.length === 0) this.print('nothing applied');
        for (const record of applied) this.print(formatApplied(record));
        return;
      }
      case 'raft-state':
        for (const node of this.cluster.nodes.values()) {
          const status = node.raft.status();
          this.print(
            `${status.id}: ${status.role} term=${status.term} leader=${status.leaderId ?? 'none'} ` +
              `commit=${status.commitIndex} applied=${status.appliedIndex} last=${status.lastIndex}` +
              (status.mode !== 'majority' ? ` in-sync=(${status.configuration.inSync.join(',')})` : '') +
              (this.cluster.isolated.has(status.id) ? ' (isolated)' : '') +
              (this.cluster.down.has(status.id) ? ' (stopped)' : ''),
          );
        }
        for (const witness of this.cluster.witnesses.values()) {
          const status = witness.core.status();
          this.print(
            `${status.id}: witness term=${status.term} vote=${status.votedFor ?? 'none'} leader=${status.leaderId ?? 'none'}` +
              ` in-sync=(${status.inSync.join(',')}) acknowledged=${status.acknowledgedIndex}` +
              (this.cluster.isolated.has(status.id) ? ' (isolated)' : '') +
              (this.cluster.down.has(status.id) ? ' (stopped)' : ''),
          );
        }
        return;
      default:
        assert.fail(`unknown command ${command.name}`);
    }
  }

  private processReady(id: NodeId): boolean {
    // A witness has no Ready: it persists and answers as each message is delivered.
    if (this.cluster.witnesses.has(id)) return false;
    const node = this.cluster.node(id);
    if (!node.raft.hasReady()) return false;
    this.print(`> ${id} handling Ready`);
    this.indent = '  ';
    const mark = this.output.length;
    const ready = this.cluster.processReady(id);
    assert.ok(ready !== null);
    // Traces from advance() were printed already; put the Ready above them.
    const traces = this.output.splice(mark);
    for (const line of formatReady(ready)) this.print(line);
    this.output.push(...traces);
    this.indent = '';
    return true;
  }

  private deliverTo(id: NodeId, filter: (message: Message) => boolean = () => true): boolean {
    const messages = this.cluster.takeMessagesTo(id, filter);
    if (messages.length === 0) return false;
    this.print(`> ${id} receiving messages`);
    this.indent = '  ';
    for (const message of messages) this.deliverOne(message);
    this.indent = '';
    return true;
  }

  private deliverOne(message: Message): void {
    const snapshotFrom = message.type === 'install_snapshot' && this.reportSnapshots ? message.from : null;
    if (this.cluster.isLost(message)) {
      this.print(`dropped: ${formatMessage(message)}`);
      if (snapshotFrom !== null && !this.cluster.down.has(snapshotFrom))
        this.cluster.node(snapshotFrom).raft.reportSnapshot(message.to, 'failed');
      return;
    }
    this.print(formatMessage(message));
    this.indent = '    ';
    this.cluster.deliver(message);
    const witness = this.cluster.witnesses.get(message.to);
    if (witness !== undefined) {
      if (witness.lastPersisted !== null)
        this.print(`persisted ${formatWitnessState(witness.lastPersisted)}`);
      for (const sent of witness.lastSent) this.print(`sent ${formatMessage(sent)}`);
    }
    this.indent = '  ';
    if (snapshotFrom !== null && !this.cluster.down.has(snapshotFrom))
      this.cluster.node(snapshotFrom).raft.reportSnapshot(message.to, 'finished');
  }

  private runRounds(rounds: number, listed: NodeId[], verbose: boolean): void {
    const running = () =>
      [...this.cluster.nodes.keys(), ...this.cluster.witnesses.keys()].filter(
        (id) => !this.cluster.down.has(id),
      );
    this.reportSnapshots = true;
    try {
      for (let round = 1; round <= rounds; round += 1) {
        if (!verbose) this.quietRound = round;
        else this.print(`round ${round}`);
        const ticking = listed.length === 0 ? running() : listed;
        for (const id of ticking) {
          assert.ok(!this.cluster.down.has(id), `${id} is stopped`);
          const witness = this.cluster.witnesses.get(id);
          if (witness !== undefined) witness.core.tick();
          else this.cluster.node(id).raft.tick();
        }
        this.stabilize(running());
        // Messages to stopped nodes are lost.
        for (const id of this.cluster.down) this.cluster.takeMessagesTo(id);
      }
    } finally {
      this.quietRound = null;
      this.reportSnapshots = false;
    }
  }

  private printSection(title: string, lines: string[]): void {
    this.print(title);
    for (const line of lines) this.print(`  ${line}`);
  }

  private stabilize(ids: NodeId[]): void {
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round += 1) {
      let busy = false;
      for (const id of ids) busy = this.processReady(id) || busy;
      for (const id of ids) busy = this.deliverTo(id) || busy;
      if (!busy) return;
    }
    assert.fail(`stabilize did not settle within ${MAX_STABILIZE_ROUNDS} rounds`);
  }
}

import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FIELD_KEY, REASON_KEY } from '@tandem/wire';
import { expect } from 'chai';
import { ExitCode } from '../src/exit-codes.js';
import { run } from '../src/run.js';
import {
  captureIo,
  header,
  rejection,
  type ScriptedAdmin,
  startScriptedAdmin,
  unusedAddress,
} from './scripted-admin.js';
import { credentialFlags, testPki } from './test-pki.js';

const started: ScriptedAdmin[] = [];
/** An operator's credentials (the admin role's certificate, with the cluster CA) as tandemctl flags. */
let credentials: string[] = [];

async function admin(script: Parameters<typeof startScriptedAdmin>[0]): Promise<ScriptedAdmin> {
  const scripted = await startScriptedAdmin(script);
  started.push(scripted);
  return scripted;
}

function nodeStatus(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    role: 'ROLE_MAIN',
    state: 'NODE_STATE_FOLLOWER',
    term: 3,
    commitIndex: 10,
    appliedIndex: 10,
    stateHash: 'hash-a',
    lastIndex: 10,
    inSync: true,
    lagEntries: 0,
    lagMs: 0,
    lastContactMs: 0,
    reachable: true,
    mode: 'pair',
    security: 'tls',
    ...fields,
  };
}

const wireLicence = {
  spec: {
    licenceId: 'cad',
    product: 'CAD',
    seats: 5,
    quota: { units: 100, period: 'PERIOD_MONTH' },
    validFromMs: 0,
    validUntilMs: 0,
    redundancy: true,
    features: { tier: 'pro' },
  },
  status: 'LICENCE_STATUS_ACTIVE',
  seatsInUse: 2,
  usageThisPeriod: 40,
  periodStartMs: 0,
  activatedAtMs: 1_700_000_000_000,
  updatedAtMs: 1_700_000_000_000,
  grant: {
    serial: 3,
    vendor: 'Acme',
    keyId: 'acme-2026',
    issuedAtMs: Date.UTC(2026, 0, 1),
    clusterId: 'c-1',
    limits: {
      licenceId: 'cad',
      product: 'CAD',
      seats: 10,
      quota: { units: 100, period: 'PERIOD_MONTH' },
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: true,
      features: { tier: 'pro' },
    },
  },
};

/** A licence file as tandemctl reads it: the server checks it, so the signature here is zeros. */
const LICENCE_FILE = `${JSON.stringify({
  format: 'tandem-licence',
  version: 1,
  keyId: 'acme-2026',
  payload: Buffer.from(
    JSON.stringify({
      licenceId: 'cad',
      product: 'CAD',
      seats: 10,
      quota: { units: 100, period: 'month' },
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: true,
      features: { tier: 'pro' },
      serial: 3,
      vendor: 'Acme',
      issuedAtMs: Date.UTC(2026, 0, 1),
      clusterId: 'c-1',
    }),
  ).toString('base64'),
  signature: Buffer.alloc(64).toString('base64'),
})}\n`;

function licenceReply(): { response: object } {
  return { response: { header: header(3, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'), licence: wireLicence } };
}

/** main leads in term 3 and knows backup (lagging by 2) and a witness; backup follows. */
async function pairWithWitness() {
  const witness = await admin({
    ClusterStatus: () => ({
      response: {
        header: header(3, 'witness', 'NODE_STATE_FOLLOWER', 'ROLE_WITNESS'),
        nodes: [
          nodeStatus({
            id: 'witness',
            address: 'advertised-witness:7402',
            role: 'ROLE_WITNESS',
            stateHash: '',
          }),
        ],
        leaderId: 'main',
      },
    }),
  });
  const backup = await admin({
    ClusterStatus: () => ({
      response: {
        header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
        nodes: [
          nodeStatus({
            id: 'backup',
            address: 'advertised-backup:7401',
            role: 'ROLE_BACKUP',
            appliedIndex: 8,
          }),
        ],
        leaderId: 'main',
      },
    }),
    Verify: (request) => ({
      response: {
        header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
        nodeId: 'backup',
        appliedIndex: Number(request.waitForIndex),
        stateHash: 'hash-a',
        logHash: 'log-a',
        logHashIndex: Number(request.waitForIndex),
      },
    }),
  });
  const main = await admin({
    ClusterStatus: () => ({
      response: {
        header: header(3, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'),
        nodes: [
          nodeStatus({ id: 'main', address: 'advertised-main:7400', state: 'NODE_STATE_LEADER' }),
          nodeStatus({
            id: 'backup',
            address: backup.address,
            role: 'ROLE_BACKUP',
            lagEntries: 2,
            lagMs: 15,
            lastContactMs: 40,
          }),
          nodeStatus({ id: 'witness', address: witness.address, role: 'ROLE_WITNESS', lastContactMs: 30 }),
        ],
        leaderId: 'main',
        inSync: ['main', 'backup'],
      },
    }),
    Verify: (request) => ({
      response: {
        header: header(3, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'),
        nodeId: 'main',
        appliedIndex: Number(request.waitForIndex),
        stateHash: 'hash-a',
        logHash: 'log-a',
        logHashIndex: Number(request.waitForIndex),
      },
    }),
  });
  return { main, backup, witness };
}

describe('tandemctl commands against scripted servers', () => {
  let directory: string;

  before(async () => {
    credentials = await credentialFlags('admin');
  });

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandemctl-files-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const scripted of started.splice(0)) scripted.stop();
  });

  it('status --json reports every node, the unreachable one included, and the leader', async () => {
    const { main, backup, witness } = await pairWithWitness();
    const dead = await unusedAddress();
    const io = captureIo();

    const code = await run(
      [
        ...credentials,
        '--servers',
        `${main.address},${backup.address},${dead}`,
        '--timeout-ms',
        '500',
        'status',
        '--json',
      ],
      io,
    );

    expect(code, io.err()).to.equal(ExitCode.ok);
    const report = JSON.parse(io.out()) as { nodes: Array<Record<string, unknown>>; leader: string | null };
    expect(Object.keys(report)).to.deep.equal(['nodes', 'leader', 'drained', 'openIncidents', 'clusterId']);
    expect(report).to.deep.include({ drained: [] });
    expect(report.leader).to.equal('main');
    expect(report).to.include({ openIncidents: 0 });
    for (const node of report.nodes) {
      expect(node).to.include.all.keys(
        'id',
        'address',
        'role',
        'state',
        'term',
        'commitIndex',
        'appliedIndex',
        'stateHash',
      );
    }
    expect(report.nodes.map((node) => [node.id, node.state])).to.deep.equal([
      ['main', 'leader'],
      ['backup', 'follower'],
      [null, 'unreachable'],
      ['witness', 'follower'],
    ]);
    expect(report.nodes[0]).to.include({
      id: 'main',
      address: main.address,
      role: 'main',
      state: 'leader',
      term: 3,
      commitIndex: 10,
      appliedIndex: 10,
      stateHash: 'hash-a',
      reachable: true,
    });
    // Lag is the leader's measurement of its follower.
    expect(report.nodes[1]).to.include({
      address: backup.address,
      role: 'backup',
      appliedIndex: 8,
      lagEntries: 2,
      lagMs: 15,
    });
    expect(report.nodes[2]).to.include({
      address: dead,
      role: null,
      term: null,
      stateHash: null,
      reachable: false,
    });
    expect(report.nodes[3]).to.include({ address: witness.address, role: 'witness' });
    expect(witness.callsOf('ClusterStatus')).to.have.length(1);
  });

  it('status prints a table by default', async () => {
    const { main, backup } = await pairWithWitness();
    const io = captureIo();
    expect(
      await run([...credentials, '--servers', `${main.address},${backup.address}`, 'status'], io),
    ).to.equal(ExitCode.ok);
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).to.match(
      /^ID\s+ADDRESS\s+ROLE\s+STATE\s+TERM\s+COMMIT\s+APPLIED\s+LAG\s+IN-SYNC\s+HASH\s+SECURITY$/,
    );
    expect(lines[1]).to.match(/^main\s+\S+\s+main\s+leader\s+3\s+10\s+10\s+0\s+yes\s+hash-a\s+tls$/);
    expect(lines.slice(-2)).to.deep.equal(['leader: main', 'cluster id: not recorded yet']);
    expect(io.out()).not.to.contain('INSECURE');
  });

  it('status warns about a node that runs insecure, in the table and in --json', async () => {
    const main = await admin({
      ClusterStatus: () => ({
        response: {
          header: header(2, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'),
          nodes: [nodeStatus({ id: 'main', state: 'NODE_STATE_LEADER', term: 2, security: 'insecure' })],
          leaderId: 'main',
        },
      }),
    });
    const table = captureIo();
    expect(await run([...credentials, '--servers', main.address, 'status'], table)).to.equal(ExitCode.ok);
    const lines = table.out().trimEnd().split('\n');
    expect(lines[1]).to.match(/\sinsecure$/);
    expect(lines.at(-1)).to.equal(
      'WARNING: INSECURE: main runs without TLS and authentication (insecure: true)',
    );
    const json = captureIo();
    expect(await run([...credentials, '--servers', main.address, '--json', 'status'], json)).to.equal(
      ExitCode.ok,
    );
    const report = JSON.parse(json.out()) as { nodes: Array<Record<string, unknown>> };
    expect(report.nodes[0]).to.include({ id: 'main', security: 'insecure' });
  });

  it('status shows the index a state hash is of when it is not the applied index', async () => {
    const main = await admin({
      ClusterStatus: () => ({
        response: {
          header: header(2, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'),
          nodes: [
            nodeStatus({
              id: 'main',
              state: 'NODE_STATE_LEADER',
              term: 2,
              stateHashIndex: 7,
              appliedIndex: 10,
            }),
          ],
          leaderId: 'main',
        },
      }),
    });
    const table = captureIo();
    expect(await run([...credentials, '--servers', main.address, 'status'], table)).to.equal(ExitCode.ok);
    expect(table.out().trimEnd().split('\n')[1]).to.match(/\s10\s+0\s+yes\s+hash-a@7\s+tls$/);
    const json = captureIo();
    expect(await run([...credentials, '--servers', main.address, '--json', 'status'], json)).to.equal(
      ExitCode.ok,
    );
    const report = JSON.parse(json.out()) as { nodes: Array<Record<string, unknown>> };
    expect(report.nodes[0]).to.include({ stateHash: 'hash-a', stateHashIndex: 7, appliedIndex: 10 });
  });

  it('status says "not yet" for a data node that has not hashed its ledger since it started', async () => {
    const main = await admin({
      ClusterStatus: () => ({
        response: {
          header: header(2, 'main', 'NODE_STATE_FOLLOWER', 'ROLE_MAIN'),
          nodes: [nodeStatus({ id: 'main', term: 2, stateHash: '', stateHashIndex: 0, appliedIndex: 10 })],
          leaderId: 'backup',
        },
      }),
    });
    const table = captureIo();
    expect(await run([...credentials, '--servers', main.address, 'status'], table)).to.equal(ExitCode.ok);
    expect(table.out().trimEnd().split('\n')[1]).to.match(/\s10\s+0\s+yes\s+not yet\s+tls$/);
  });

  it("status flags the leader's open incidents, in the table and in --json", async () => {
    const main = await admin({
      ClusterStatus: () => ({
        response: {
          header: header(5, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'),
          nodes: [nodeStatus({ id: 'main', state: 'NODE_STATE_LEADER', term: 5 })],
          leaderId: 'main',
          openIncidents: 2,
          clusterId: '8a6e0804-2bd0-4672-b79d-d97027f9071a',
        },
      }),
    });
    const table = captureIo();
    expect(await run([...credentials, '--servers', main.address, 'status'], table)).to.equal(ExitCode.ok);
    const lines = table.out().trimEnd().split('\n');
    expect(lines.slice(-3)).to.deep.equal([
      'leader: main',
      'cluster id: 8a6e0804-2bd0-4672-b79d-d97027f9071a',
      'incidents: 2 open (see tandemctl incidents)',
    ]);
    const json = captureIo();
    expect(await run([...credentials, '--servers', main.address, 'status', '--json'], json)).to.equal(
      ExitCode.ok,
    );
    expect(JSON.parse(json.out())).to.include({
      leader: 'main',
      openIncidents: 2,
      clusterId: '8a6e0804-2bd0-4672-b79d-d97027f9071a',
    });
  });

  it('lists incidents as a table, open only with --open, and as JSON', async () => {
    const leader = header(5, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN');
    const open = {
      incidentId: 'incident-40-1',
      licenceId: 'cad',
      kind: 'INCIDENT_KIND_SEATS',
      limit: 4,
      observed: 6,
      excess: 2,
      mainTerm: 5,
      backupTerms: [2, 4],
      sourceNodeId: 'backup',
      mergeIndex: 40,
      openedAtMs: 1_700_000_000_000,
      startedAtMs: 1_699_999_990_000,
      grantTerms: [2, 3, 4],
    };
    const resolved = {
      ...open,
      incidentId: 'incident-40-2',
      kind: 'INCIDENT_KIND_USAGE',
      startedAtMs: undefined,
      grantTerms: [],
      limit: 100,
      observed: 130,
      excess: 30,
      resolvedAtMs: 1_700_000_060_000,
      periodStartMs: 1_699_920_000_000,
      periodEndMs: 1_700_006_400_000,
    };
    const main = await admin({
      ListIncidents: (request) => ({
        response: { header: leader, incidents: request.openOnly ? [open] : [open, resolved] },
      }),
    });
    const servers = ['--servers', main.address];

    const table = captureIo();
    expect(await run([...credentials, ...servers, 'incidents'], table)).to.equal(ExitCode.ok);
    const lines = table.out().trimEnd().split('\n');
    expect(lines[0]).to.match(
      /^ID\s+LICENCE\s+KIND\s+LIMIT\s+OBSERVED\s+EXCESS\s+STARTED\s+LASTED\s+GRANTED IN TERMS\s+TERMS\s+OPENED\s+RESOLVED$/,
    );
    expect(lines[1]).to.match(
      /^incident-40-1\s+cad\s+seats\s+4\s+6\s+2\s+2023-11-14T22:13:10.000Z\s+ongoing\s+2,3,4\s+main 5 \/ backup 2,4\s+2023-11-14T22:13:20.000Z\s+open$/,
    );
    expect(lines[2]).to.match(/^incident-40-2\s+cad\s+usage\s+100\s+130\s+30\s+.*2023-11-14T22:14:20.000Z$/);
    expect(main.callsOf('ListIncidents')[0]).to.deep.equal({ openOnly: false });

    const json = captureIo();
    expect(await run([...credentials, ...servers, 'incidents', '--open', '--json'], json)).to.equal(
      ExitCode.ok,
    );
    expect(JSON.parse(json.out())).to.deep.equal({
      incidents: [
        {
          ...open,
          kind: 'seats',
          resolvedAtMs: null,
          periodStartMs: null,
          periodEndMs: null,
          endedAtMs: null,
        },
      ],
    });
    expect(main.callsOf('ListIncidents')[1]).to.deep.equal({ openOnly: true });

    const none = await admin({ ListIncidents: () => ({ response: { header: leader, incidents: [] } }) });
    const empty = captureIo();
    expect(await run([...credentials, '--servers', none.address, 'incidents', '--open'], empty)).to.equal(
      ExitCode.ok,
    );
    expect(empty.out()).to.equal('no open incidents\n');
  });

  it('exits 3 when no server can be reached', async () => {
    const dead = await unusedAddress();
    const io = captureIo();
    expect(
      await run(
        [...credentials, '--servers', dead, '--timeout-ms', '300', '--attempts', '2', 'licence', 'list'],
        io,
      ),
    ).to.equal(ExitCode.unavailable);
    expect(io.err()).to.contain('cluster unavailable');

    const status = captureIo();
    expect(
      await run([...credentials, '--json', '--servers', dead, '--timeout-ms', '300', 'status'], status),
    ).to.equal(ExitCode.unavailable);
    const report = JSON.parse(status.out()) as {
      nodes: Array<Record<string, unknown>>;
      leader: string | null;
    };
    expect(report.leader).to.equal(null);
    expect(report.nodes).to.have.length(1);
    expect(report.nodes[0]).to.include({ address: dead, state: 'unreachable', reachable: false });
  });

  it('verify compares state hashes at the leader commit index', async () => {
    const { main, backup } = await pairWithWitness();
    const io = captureIo();
    expect(
      await run([...credentials, '--servers', `${main.address},${backup.address}`, '--json', 'verify'], io),
    ).to.equal(ExitCode.ok);
    const report = JSON.parse(io.out()) as {
      waitForIndex: number;
      equal: boolean;
      nodes: Array<Record<string, unknown>>;
    };
    expect(report.waitForIndex).to.equal(10);
    expect(report.equal).to.equal(true);
    expect(
      report.nodes.map((node) => [
        node.id,
        node.appliedIndex,
        node.stateHash,
        node.logHash,
        node.logHashIndex,
      ]),
    ).to.deep.equal([
      ['main', 10, 'hash-a', 'log-a', 10],
      ['backup', 10, 'hash-a', 'log-a', 10],
    ]);
    expect(main.callsOf('Verify')[0]).to.deep.equal({ waitForIndex: 10 });
  });

  it('verify exits 1 when the state hashes differ', async () => {
    const { main } = await pairWithWitness();
    const other = await admin({
      ClusterStatus: () => ({
        response: {
          header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
          nodes: [nodeStatus({ id: 'backup', role: 'ROLE_BACKUP' })],
        },
      }),
      Verify: () => ({
        response: {
          header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
          nodeId: 'backup',
          appliedIndex: 10,
          stateHash: 'hash-b',
        },
      }),
    });
    const io = captureIo();
    expect(
      await run([...credentials, '--servers', `${main.address},${other.address}`, 'verify'], io),
    ).to.equal(ExitCode.rejected);
    expect(io.out()).to.contain('state hashes DIFFERENT');
    expect(io.out()).to.contain('hash-b');
  });

  it('verify asks again when a node has applied an entry more, and compares at the same index', async () => {
    const { main } = await pairWithWitness();
    let asked = 0;
    const other = await admin({
      ClusterStatus: () => ({
        response: {
          header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
          nodes: [nodeStatus({ id: 'backup', role: 'ROLE_BACKUP' })],
        },
      }),
      // It has applied index 11 already when first asked to wait for 10; the main (scripted above)
      // answers at the index it is asked to wait for, with the same hash as this node at 11.
      Verify: (request) => {
        asked += 1;
        const appliedIndex = Math.max(Number(request.waitForIndex), 11);
        return {
          response: {
            header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
            nodeId: 'backup',
            appliedIndex,
            stateHash: 'hash-a',
          },
        };
      },
    });
    const io = captureIo();
    expect(
      await run([...credentials, '--servers', `${main.address},${other.address}`, 'verify'], io),
    ).to.equal(ExitCode.ok);
    expect(asked).to.equal(2);
    expect(io.out()).to.contain('waited for index 11; state hashes equal');
  });

  it('verify exits 1 when the logs differ although the states are equal, and says so', async () => {
    const { main } = await pairWithWitness();
    const other = await admin({
      ClusterStatus: () => ({
        response: {
          header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
          nodes: [nodeStatus({ id: 'backup', role: 'ROLE_BACKUP' })],
        },
      }),
      Verify: (request) => ({
        response: {
          header: header(3, 'backup', 'NODE_STATE_FOLLOWER', 'ROLE_BACKUP'),
          nodeId: 'backup',
          appliedIndex: 10,
          stateHash: 'hash-a',
          logHash: 'log-b',
          logHashIndex: Number(request.waitForIndex),
        },
      }),
    });
    const io = captureIo();
    expect(
      await run([...credentials, '--servers', `${main.address},${other.address}`, 'verify'], io),
    ).to.equal(ExitCode.rejected);
    expect(io.out()).to.contain('state hashes equal; log hashes DIFFERENT');
    const json = captureIo();
    await run([...credentials, '--servers', `${main.address},${other.address}`, '--json', 'verify'], json);
    expect(JSON.parse(json.out())).to.deep.include({
      equal: false,
      stateHashesEqual: true,
      logHashesEqual: false,
      differences: ['log hash'],
    });
  });

  it('activates a licence from a licence file and prints it with what the vendor signed', async () => {
    const main = await admin({ ActivateLicence: () => licenceReply() });
    const file = path.join(directory, 'cad.licence');
    await writeFile(file, LICENCE_FILE);
    const io = captureIo();
    const code = await run(
      [...credentials, '--servers', main.address, 'licence', 'activate', '--file', file],
      io,
    );
    expect(code, io.err()).to.equal(ExitCode.ok);
    const request = main.callsOf('ActivateLicence')[0] as { requestId: string; licenceFile: Buffer };
    expect(request.requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(request.licenceFile.toString()).to.equal(LICENCE_FILE);
    expect(io.out()).to.match(/^id:\s+cad$/m);
    expect(io.out()).to.match(/^quota:\s+40\/100 per month$/m);
    expect(io.out()).to.match(
      /^signed:\s+serial 3 by Acme \(key acme-2026\), issued 2026-01-01T00:00:00.000Z$/m,
    );
    expect(io.out()).to.match(/^signed seats:\s+10$/m);
  });

  it('installs a newer licence file with update --file, checking the id it is given', async () => {
    const main = await admin({ UpdateLicence: () => licenceReply() });
    const file = path.join(directory, 'cad.licence');
    await writeFile(file, LICENCE_FILE);
    const io = captureIo();
    expect(
      await run([...credentials, '--servers', main.address, 'licence', 'update', 'cad', '--file', file], io),
    ).to.equal(ExitCode.ok);
    const request = main.callsOf('UpdateLicence')[0] as { licenceId: string; licenceFile: Buffer };
    expect(request.licenceId).to.equal('cad');
    expect(request.licenceFile.toString()).to.equal(LICENCE_FILE);
    const other = captureIo();
    expect(
      await run(
        [...credentials, '--servers', main.address, 'licence', 'update', 'cam', '--file', file],
        other,
      ),
    ).to.equal(ExitCode.usage);
    expect(other.err()).to.contain('is for licence cad, not cam');
  });

  it('reports a licence file the server refuses, with its reason, as a usage error', async () => {
    const main = await admin({
      ActivateLicence: () => ({
        status: grpc.status.INVALID_ARGUMENT,
        details: 'licence_signature_invalid: licence_file: the signature does not verify',
        metadata: { [FIELD_KEY]: 'licence_file', [REASON_KEY]: 'licence_signature_invalid' },
      }),
    });
    const file = path.join(directory, 'cad.licence');
    await writeFile(file, LICENCE_FILE);
    const io = captureIo();
    expect(
      await run(
        [...credentials, '--servers', main.address, '--json', 'licence', 'activate', '--file', file],
        io,
      ),
    ).to.equal(ExitCode.usage);
    expect(JSON.parse(io.out()).error).to.include({
      code: 'licence_signature_invalid',
      field: 'licence_file',
      reason: 'licence_signature_invalid',
    });
  });

  it('lists the audit trail as a table and as JSON, passing the filters', async () => {
    const record = {
      index: 12,
      atMs: Date.UTC(2026, 2, 1, 10),
      action: 'revoke_lease',
      actor: { name: 'ops', role: 'operator', via: 'certificate', from: 'ipv4:10.0.0.7:5000' },
      requestId: 'r-1',
      licenceId: 'cad',
      leaseId: 'lease-3-9-0123456789abcdef',
      outcome: 'ok',
      detail: 'stolen \u001b[2Jlaptop',
      origin: { nodeId: 'backup', index: 40, term: 2, timestampMs: 1 },
    };
    const main = await admin({
      ListAudit: () => ({
        response: {
          header: header(3, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'),
          records: [record],
          truncated: true,
        },
      }),
    });
    const io = captureIo();
    const code = await run(
      [
        ...credentials,
        '--servers',
        main.address,
        'audit',
        '--since',
        '2026-03-01T00:00:00Z',
        '--licence',
        'cad',
        '--limit',
        '5',
      ],
      io,
    );
    expect(code, io.err()).to.equal(ExitCode.ok);
    expect(main.callsOf('ListAudit')[0]).to.deep.equal({
      sinceMs: Date.UTC(2026, 2, 1),
      licenceId: 'cad',
      limit: 5,
    });
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).to.match(/^TIME\s+INDEX\s+ACTION\s+ACTOR\s+SUBJECT\s+OUTCOME\s+DETAIL$/);
    expect(lines[1])
      .to.contain('revoke_lease')
      .and.contain('ops (operator via certificate from ipv4:10.0.0.7:5000)');
    expect(lines[1]).to.contain('stolen \\x1b[2Jlaptop (merged from backup entry 40)');
    expect(io.out()).to.not.contain('\u001b');
    expect(lines.at(-1)).to.contain('older records left out');
    const json = captureIo();
    expect(await run([...credentials, '--servers', main.address, '--json', 'audit'], json)).to.equal(
      ExitCode.ok,
    );
    expect(JSON.parse(json.out())).to.deep.include({ truncated: true });
  });

  it('escapes control characters in tables, records and error messages', async () => {
    const main = await admin({
      GetLicence: () => ({
        response: {
          header: header(3, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'),
          licence: {
            ...wireLicence,
            spec: { ...wireLicence.spec, product: 'CAD\u001b]0;pwned\u0007\u202e' },
          },
        },
      }),
      ListLicences: () => ({
        response: { header: header(3, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'), licences: [wireLicence] },
      }),
      DeactivateLicence: () => ({
        status: grpc.status.NOT_FOUND,
        details: 'licence_id: licence "\u001b[31mred" does not exist',
        metadata: { [FIELD_KEY]: 'licence_id' },
      }),
    });
    const record = captureIo();
    expect(await run([...credentials, '--servers', main.address, 'licence', 'show', 'cad'], record)).to.equal(
      ExitCode.ok,
    );
    expect(record.out()).to.match(/^product:\s+CAD\\x1b\]0;pwned\\x07\\u\{202e\}$/m);
    const failed = captureIo();
    await run([...credentials, '--servers', main.address, 'licence', 'deactivate', 'x'], failed);
    expect(failed.err()).to.contain('\\x1b[31mred');
    expect(failed.err()).to.not.contain('\u001b');
  });

  it('sends only the requested changes of an update', async () => {
    const main = await admin({ UpdateLicence: () => licenceReply() });
    const io = captureIo();
    const code = await run(
      [
        ...credentials,
        '--servers',
        main.address,
        '--json',
        'licence',
        'update',
        'cad',
        '--no-quota',
        '--no-redundancy',
        '--feature',
        'a=1',
      ],
      io,
    );
    expect(code, io.err()).to.equal(ExitCode.ok);
    const request = main.callsOf('UpdateLicence')[0] as Record<string, unknown>;
    expect(request).to.include({
      licenceId: 'cad',
      clearQuota: true,
      redundancy: false,
      replaceFeatures: true,
    });
    expect(request.features).to.deep.equal({ a: '1' });
    expect(request._seats).to.equal(undefined);
    expect((JSON.parse(io.out()) as { licenceId: string }).licenceId).to.equal('cad');
  });

  it('exits 1 when the ledger rejects, with the reason in --json output', async () => {
    const main = await admin({
      ActivateLicence: () => rejection(grpc.status.ALREADY_EXISTS, 'licence_exists'),
      GetLicence: () => ({
        status: grpc.status.NOT_FOUND,
        details: 'licence_id: licence "nope" does not exist',
        metadata: { [FIELD_KEY]: 'licence_id' },
      }),
    });
    const file = path.join(directory, 'cad.licence');
    await writeFile(file, LICENCE_FILE);
    const io = captureIo();
    const code = await run(
      [...credentials, '--servers', main.address, '--json', 'licence', 'activate', '--file', file],
      io,
    );
    expect(code).to.equal(ExitCode.rejected);
    expect(JSON.parse(io.out())).to.deep.equal({
      error: {
        code: 'licence_exists',
        message: 'licence_exists: refused',
        exitCode: 1,
        reason: 'licence_exists',
      },
    });
    expect(main.callsOf('ActivateLicence')).to.have.length(1);

    const missing = captureIo();
    expect(
      await run([...credentials, '--servers', main.address, 'licence', 'show', 'nope'], missing),
    ).to.equal(ExitCode.rejected);
    expect(missing.err()).to.contain('does not exist');
  });

  it('exits 2 when the server says an argument is invalid', async () => {
    const main = await admin({
      RevokeLease: () => ({
        status: grpc.status.INVALID_ARGUMENT,
        details: 'reason: too long',
        metadata: { [FIELD_KEY]: 'reason' },
      }),
    });
    const io = captureIo();
    expect(
      await run(
        [...credentials, '--servers', main.address, 'lease', 'revoke', 'lease-1', '--reason', 'x'],
        io,
      ),
    ).to.equal(ExitCode.usage);
    expect(io.err()).to.contain('reason: too long');
  });

  it('lists leases and licences, shows usage, snapshots and transfers leadership', async () => {
    const leader = header(3, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN');
    const main = await admin({
      ListLeases: () => ({
        response: {
          header: leader,
          leases: [
            {
              leaseId: 'lease-3-4',
              licenceId: 'cad',
              workstationId: 'ws-1',
              parameters: { host: 'cad-17', user: 'alice', cores: 8, productVersion: '1' },
              grantedAtMs: 1_700_000_000_000,
              renewedAtMs: 1_700_000_000_000,
              expiresAtMs: 1_700_000_030_000,
              ttlMs: 30000,
            },
          ],
        },
      }),
      ListLicences: () => ({ response: { header: leader, licences: [wireLicence] } }),
      GetUsage: () => ({
        response: {
          header: leader,
          licenceId: 'cad',
          periods: [
            {
              periodStartMs: 1_700_000_000_000,
              periodEndMs: 1_702_000_000_000,
              used: 40,
              quota: 100,
              reports: 3,
            },
          ],
          totalUsed: 40,
        },
      }),
      Snapshot: () => ({
        response: { header: leader, index: 42, term: 3, sizeBytes: 1024, stateHash: 'hash-a' },
      }),
      TransferLeadership: () => ({ response: { header: { ...leader, term: 4 }, leaderId: 'backup' } }),
    });
    const servers = ['--servers', main.address];

    const leases = captureIo();
    expect(await run([...credentials, ...servers, 'lease', 'list', '--licence', 'cad'], leases)).to.equal(
      ExitCode.ok,
    );
    expect(leases.out()).to.match(/^lease-3-4\s+cad\s+ws-1\s+cad-17\s+alice\s+2023-11-14T22:13:20.000Z/m);
    expect(main.callsOf('ListLeases')[0]).to.deep.equal({ licenceId: 'cad' });

    const licences = captureIo();
    expect(await run([...credentials, ...servers, '--json', 'licence', 'list'], licences)).to.equal(
      ExitCode.ok,
    );
    const listed = JSON.parse(licences.out()) as { licences: Array<Record<string, unknown>> };
    expect(listed.licences[0]).to.include({ licenceId: 'cad', seats: 5, seatsInUse: 2, status: 'active' });

    const usage = captureIo();
    expect(
      await run([...credentials, ...servers, 'usage', 'show', 'cad', '--at', '2023-11-20T00:00:00Z'], usage),
    ).to.equal(ExitCode.ok);
    expect(usage.out()).to.contain('total used: 40');
    expect(main.callsOf('GetUsage')[0]).to.deep.equal({
      licenceId: 'cad',
      atMs: Date.parse('2023-11-20T00:00:00Z'),
    });

    const snapshot = captureIo();
    expect(await run([...credentials, ...servers, '--json', 'snapshot'], snapshot)).to.equal(ExitCode.ok);
    expect(JSON.parse(snapshot.out())).to.deep.equal({
      nodeId: 'main',
      index: 42,
      term: 3,
      sizeBytes: 1024,
      stateHash: 'hash-a',
    });

    const transfer = captureIo();
    expect(
      await run([...credentials, ...servers, 'cluster', 'transfer-leadership', '--to', 'backup'], transfer),
    ).to.equal(ExitCode.ok);
    expect(transfer.out()).to.equal('leadership transferred to backup (term 4)\n');
    expect(main.callsOf('TransferLeadership')[0]).to.deep.equal({ toNodeId: 'backup' });
  });

  it('reads the servers and credentials from a settings file or the environment', async () => {
    const main = await admin({
      ListLicences: () => ({
        response: { header: header(1, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'), licences: [] },
      }),
    });
    const viewer = await (await testPki()).tls('viewer', 'auditor');
    const io = captureIo({
      TANDEM_SERVERS: main.address,
      TANDEM_CA: viewer.ca,
      TANDEM_CERT: viewer.cert,
      TANDEM_KEY: viewer.key,
    });
    expect(await run(['licence', 'list'], io)).to.equal(ExitCode.ok);
    expect(io.out()).to.match(/^ID\s+PRODUCT/);
    expect(main.calls[0]?.certificate).to.equal('viewer/auditor');

    const settingsDirectory = await mkdtemp(path.join(os.tmpdir(), 'tandemctl-'));
    try {
      const file = path.join(settingsDirectory, 'settings.yaml');
      // Relative paths in a settings file are the file's neighbours.
      await copyFile(viewer.ca, path.join(settingsDirectory, 'ca.crt'));
      await copyFile(viewer.cert, path.join(settingsDirectory, 'auditor.crt'));
      await copyFile(viewer.key, path.join(settingsDirectory, 'auditor.key'));
      await writeFile(
        file,
        `servers:\n  - ${main.address}\nrequestTimeoutMs: 1000\ntls:\n  ca: ca.crt\n  cert: auditor.crt\n  key: auditor.key\n`,
      );
      const fromFile = captureIo();
      expect(await run(['--settings', file, '--json', 'licence', 'list'], fromFile)).to.equal(ExitCode.ok);
      expect(JSON.parse(fromFile.out())).to.deep.equal({ licences: [] });
      expect(main.calls[1]?.certificate).to.equal('viewer/auditor');
      // Flags override the file's certificate.
      const overridden = captureIo();
      expect(await run([...credentials, '--settings', file, 'licence', 'list'], overridden)).to.equal(
        ExitCode.ok,
      );
      expect(main.calls[2]?.certificate).to.equal('admin/admin');
      await writeFile(file, `servers: [${main.address}]\nretries: 3\n`);
      const invalid = captureIo();
      expect(await run(['--settings', file, 'licence', 'list'], invalid)).to.equal(ExitCode.usage);
      expect(invalid.err()).to.contain('retries: unknown key');
    } finally {
      await rm(settingsDirectory, { recursive: true, force: true });
    }
    expect(main.callsOf('ListLicences')).to.have.length(3);
  });

  it('takes the servers from an ABBYY-style LicensingSettings.xml, and credentials from the flags', async () => {
    const main = await admin({
      ListLicences: () => ({
        response: { header: header(1, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'), licences: [] },
      }),
    });
    const viewer = await (await testPki()).tls('viewer', 'auditor');
    const directory = await mkdtemp(path.join(os.tmpdir(), 'tandemctl-xml-'));
    try {
      const [host, port] = [
        main.address.slice(0, main.address.lastIndexOf(':')),
        main.address.split(':').pop(),
      ];
      const xml = path.join(directory, 'LicensingSettings.xml');
      await writeFile(
        xml,
        `<?xml version="1.0"?>\n<LicensingSettings><LicensingServers><MainNetworkLicenseServer ServerAddress="${host}" ServerPort="${port}" ProtocolType="TCP/IP"/></LicensingServers></LicensingSettings>\n`,
      );
      const flags = ['--ca', viewer.ca, '--cert', viewer.cert, '--key', viewer.key];
      const direct = captureIo();
      expect(await run([...flags, '--settings', xml, '--json', 'licence', 'list'], direct)).to.equal(
        ExitCode.ok,
      );
      expect(JSON.parse(direct.out())).to.deep.equal({ licences: [] });
      expect(main.calls[0]?.certificate).to.equal('viewer/auditor');
      // The same file through TANDEM_SETTINGS, and named by a YAML file that adds the credentials.
      const fromEnvironment = captureIo({ TANDEM_SETTINGS: xml });
      expect(await run([...flags, 'licence', 'list'], fromEnvironment)).to.equal(ExitCode.ok);
      const yaml = path.join(directory, 'settings.yaml');
      await writeFile(
        yaml,
        `licensingSettings: LicensingSettings.xml\ntls:\n  ca: ${viewer.ca}\n  cert: ${viewer.cert}\n  key: ${viewer.key}\n`,
      );
      expect(await run(['--settings', yaml, 'licence', 'list'], captureIo())).to.equal(ExitCode.ok);
      expect(main.callsOf('ListLicences')).to.have.length(3);
      // Without credentials it is refused before any call, naming tls.
      const bare = captureIo();
      expect(await run(['--settings', xml, 'licence', 'list'], bare)).to.equal(ExitCode.usage);
      expect(bare.err()).to.contain('tls');
      await writeFile(xml, '<LicensingSettings><LicensingServers/></LicensingSettings>');
      const invalid = captureIo();
      expect(await run([...flags, '--settings', xml, 'licence', 'list'], invalid)).to.equal(ExitCode.usage);
      expect(invalid.err()).to.contain('LicensingServers.MainNetworkLicenseServer: is required');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('sends a token from a file or the environment, over TLS with the CA alone', async () => {
    const main = await admin({
      ListLicences: () => ({
        response: { header: header(1, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'), licences: [] },
      }),
    });
    const { ca } = await (await testPki()).tls('admin', 'admin');
    const directory = await mkdtemp(path.join(os.tmpdir(), 'tandemctl-token-'));
    try {
      const tokenFile = path.join(directory, 'operator.token');
      await writeFile(tokenFile, 'ops.0123456789abcdef\n');
      const fromFile = captureIo();
      expect(
        await run(
          ['--servers', main.address, '--ca', ca, '--token-file', tokenFile, 'licence', 'list'],
          fromFile,
        ),
      ).to.equal(ExitCode.ok);
      const fromEnvironment = captureIo({ TANDEM_CA: ca, TANDEM_TOKEN: 'ops.fedcba9876543210' });
      expect(await run(['--servers', main.address, 'licence', 'list'], fromEnvironment)).to.equal(
        ExitCode.ok,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    expect(main.calls.map((call) => [call.certificate, call.authorization])).to.deep.equal([
      [null, 'Bearer ops.0123456789abcdef'],
      [null, 'Bearer ops.fedcba9876543210'],
    ]);
  });

  it('talks plaintext only with --insecure (or TANDEM_INSECURE), to a cluster that runs insecure', async () => {
    const plain = await startScriptedAdmin(
      {
        ListLicences: () => ({
          response: { header: header(1, 'main', 'NODE_STATE_LEADER', 'ROLE_MAIN'), licences: [] },
        }),
      },
      { insecure: true },
    );
    started.push(plain);
    const insecure = captureIo();
    expect(
      await run([...credentials, '--servers', plain.address, '--insecure', 'licence', 'list'], insecure),
    ).to.equal(ExitCode.ok);
    const fromEnvironment = captureIo({ TANDEM_INSECURE: '1' });
    expect(
      await run([...credentials, '--servers', plain.address, 'licence', 'list'], fromEnvironment),
    ).to.equal(ExitCode.ok);
    expect(plain.calls.map((call) => call.certificate)).to.deep.equal([null, null]);
    // With credentials, tandemctl never falls back to plaintext: the handshake fails.
    const secure = captureIo();
    const code = await run(
      [...credentials, '--servers', plain.address, '--attempts', '1', 'licence', 'list'],
      secure,
    );
    expect(code).to.not.equal(ExitCode.ok);
    expect(secure.err()).to.contain('TLS');
    expect(plain.calls).to.have.length(2);
  });
});

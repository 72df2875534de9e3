import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { FIELD_KEY, TERM_KEY } from '@tandem/wire';
import { expect } from 'chai';
import { CONNECT_TIMEOUT_MS, type LeaderInfo } from '../src/cluster-connection.js';
import { NotFoundError, RejectedError, SettingsError, TlsError, UnavailableError } from '../src/errors.js';
import { handshakeSlots, MAX_HANDSHAKES_PER_ADDRESS } from '../src/handshake-slots.js';
import type { LeaseLostEvent } from '../src/lease-handle.js';
import { type ClientSettingsInput, parseSettings } from '../src/settings.js';
import type { Lease } from '../src/types.js';
import { connect, WorkstationClient } from '../src/workstation-client.js';
import {
  header,
  lease,
  notLeader,
  rejection,
  type ScriptedNode,
  type ScriptedReply,
  startScriptedServer,
  unusedAddress,
} from './scripted-server.js';
import { type TlsPaths, testPki } from './test-pki.js';

const nodes: ScriptedNode[] = [];
const clients: WorkstationClient[] = [];
/** ws-1's certificate, with the cluster CA: the credentials of every client below. */
let tls: TlsPaths;

async function node(script: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedNode> {
  const started = await startScriptedServer(script);
  nodes.push(started);
  return started;
}

function client(servers: string[], overrides: Partial<ClientSettingsInput> = {}): WorkstationClient {
  const created = new WorkstationClient(
    parseSettings({
      servers,
      workstationId: 'ws-1',
      tls,
      requestTimeoutMs: 1000,
      maxAttempts: 4,
      retryBackoffMs: 5,
      mainRetryIntervalMs: 60_000,
      ...overrides,
    }),
  );
  clients.push(created);
  return created;
}

function leaseReply(term: number, nodeId: string, leaseId = 'lease-1', ttlMs = 3000): ScriptedReply {
  return { response: { header: header(term, nodeId), lease: lease(leaseId, ttlMs) } };
}

function usageReply(term: number, nodeId: string, used: number): ScriptedReply {
  return {
    response: {
      header: header(term, nodeId),
      licenceId: 'cad',
      periodStartMs: 0,
      used,
      remaining: 100 - used,
    },
  };
}

/** The next emission of an event; unlike events.once it does not fail on an 'error' event. */
function nextEvent<T>(emitter: EventEmitter, event: string, timeoutMs = 3000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function requestIds(scripted: ScriptedNode, method: string): unknown[] {
  return scripted.callsOf(method).map((call) => call.request.requestId);
}

/**
 * A listener in a child process whose accept queue is full and whose event loop sleeps: the kernel
 * drops further SYNs to it, so a connect to it hangs in SYN retransmissions (Linux).
 */
async function stalledListener(): Promise<{ address: string; close: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const server = require('node:net').createServer();
       server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         process.stdout.write(server.address().port + '\\n');
         setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 50);
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim()))),
  );
  await sleep(200);
  // Fill the queue (a backlog of 1 holds two connections): later SYNs are dropped.
  const fillers = [0, 1, 2].map(() => net.connect(port, '127.0.0.1').on('error', () => {}));
  await sleep(200);
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const filler of fillers) filler.destroy();
      child.kill('SIGKILL');
    },
  };
}

/** Forwards each connection to target, but only delayMs after it came in (bytes wait meanwhile). */
async function delayingProxy(
  target: string,
  delayMs: number,
): Promise<{ address: string; close: () => void }> {
  const [host, port] = [
    target.slice(0, target.lastIndexOf(':')),
    Number(target.slice(target.lastIndexOf(':') + 1)),
  ];
  const sockets: net.Socket[] = [];
  const proxy = net.createServer((incoming) => {
    incoming.pause();
    sockets.push(incoming.on('error', () => {}));
    setTimeout(() => {
      const outgoing = net.connect(port, host).on('error', () => incoming.destroy());
      sockets.push(outgoing);
      incoming.pipe(outgoing).pipe(incoming);
      incoming.resume();
    }, delayMs);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    },
  };
}

describe('WorkstationClient against scripted servers', () => {
  before(async () => {
    tls = await (await testPki()).tls('workstation', 'ws-1');
  });

  afterEach(async () => {
    for (const created of clients.splice(0)) created.close();
    for (const started of nodes.splice(0)) await started.stop();
  });

  it('follows a leader hint from a follower, with the same request id', async () => {
    const backup = await node({ AcquireLease: () => leaseReply(3, 'backup') });
    const main = await node({ AcquireLease: () => notLeader(3, backup.address, 'backup') });
    const workstation = client([main.address, backup.address]);
    const changes: LeaderInfo[] = [];
    workstation.on('leader-changed', (leader: LeaderInfo) => changes.push(leader));

    const handle = await workstation.acquire('cad', { ttlMs: 3000 });

    expect(handle.lease.leaseId).to.equal('lease-1');
    expect(main.callsOf('AcquireLease')).to.have.length(1);
    expect(backup.callsOf('AcquireLease')).to.have.length(1);
    const [first] = requestIds(main, 'AcquireLease');
    expect(first).to.be.a('string').and.have.length.greaterThan(0);
    expect(requestIds(backup, 'AcquireLease')).to.deep.equal([first]);
    expect(backup.callsOf('AcquireLease')[0]?.request).to.include({
      licenceId: 'cad',
      workstationId: 'ws-1',
      ttlMs: 3000,
    });
    expect(changes).to.deep.equal([{ leaderId: 'backup', address: backup.address, term: 3 }]);
    expect(workstation.leader).to.deep.equal({ leaderId: 'backup', address: backup.address, term: 3 });
    expect(workstation.term).to.equal(3);
  });

  it('keeps a connection open to every server from the start, ready for a handover', async () => {
    const main = await node({});
    const backup = await node({});
    const workstation = client([main.address, backup.address]);
    const ready = (address: string) =>
      workstation.connection.workstationService(address).getChannel().getConnectivityState(false) ===
      grpc.connectivityState.READY;
    const deadline = Date.now() + 5000;
    // No call was made: both connections were opened by the client itself (TLS included).
    while (!(ready(main.address) && ready(backup.address)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ready(main.address), 'main connected').to.equal(true);
    expect(ready(backup.address), 'backup connected').to.equal(true);
    expect(main.calls).to.have.length(0);
    expect(backup.calls).to.have.length(0);
  });

  it('says when it is connected to every server, and when it is not in time', async () => {
    const main = await node({});
    const backup = await node({});
    const workstation = client([main.address, backup.address]);
    expect(await workstation.whenConnected(10_000)).to.equal(true);
    for (const address of [main.address, backup.address]) {
      const channel = workstation.connection.workstationService(address).getChannel();
      expect(channel.getConnectivityState(false), address).to.equal(grpc.connectivityState.READY);
    }
    expect(main.calls).to.have.length(0);
    // A server that takes the TCP connection and never answers: the TLS handshake never ends.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const silentAddress = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
      const stuck = client([main.address, silentAddress]);
      const startedMs = Date.now();
      expect(await stuck.whenConnected(300)).to.equal(false);
      expect(Date.now() - startedMs).to.be.at.least(290);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('goes to a hinted leader that is not in the server list and keeps it', async () => {
    const hidden = await node({ ReportUsage: () => usageReply(2, 'hidden', 5) });
    const follower = await node({ ReportUsage: () => notLeader(2, hidden.address) });
    const workstation = client([follower.address]);

    const report = await workstation.reportUsage('cad', 5);

    expect(report).to.deep.equal({ licenceId: 'cad', periodStartMs: 0, used: 5, remaining: 95, term: 2 });
    expect(workstation.connection.servers).to.deep.equal([follower.address, hidden.address]);
  });

  it('maps a hint that names only the leader id to the address it knows for that leader', async () => {
    const backup = await node({ ReportUsage: () => usageReply(2, 'backup', 1) });
    const spare = await node({ ReportUsage: () => usageReply(2, 'spare', 1) });
    const main = await node({
      ReportUsage: (_request, index) =>
        index === 0 ? notLeader(2, backup.address, 'backup') : notLeader(2, '', 'backup'),
    });
    const workstation = client([main.address, spare.address, backup.address], { mainRetryIntervalMs: 0 });

    await workstation.reportUsage('cad', 1);
    await workstation.reportUsage('cad', 1);

    expect(main.callsOf('ReportUsage')).to.have.length(2);
    expect(backup.callsOf('ReportUsage')).to.have.length(2);
    expect(spare.callsOf('ReportUsage')).to.have.length(0);
  });

  it('retries UNAVAILABLE without a hint on the next server, with the same request id', async () => {
    const main = await node({
      ReportUsage: (_request, index) =>
        index < 2 ? { status: grpc.status.UNAVAILABLE, details: 'overloaded' } : usageReply(1, 'main', 3),
    });
    const workstation = client([main.address]);

    const report = await workstation.reportUsage('cad', 3);

    expect(report.used).to.equal(3);
    const ids = requestIds(main, 'ReportUsage');
    expect(ids).to.have.length(3);
    expect(new Set(ids).size).to.equal(1);
    expect(main.callsOf('ReportUsage')[0]?.request).to.include({ units: 3, workstationId: 'ws-1' });
  });

  it('retries a call that timed out with the same request id', async () => {
    const main = await node({
      ReportUsage: (_request, index) => (index === 0 ? { hang: true } : usageReply(1, 'main', 4)),
    });
    const workstation = client([main.address], { requestTimeoutMs: 200 });
    const startedAtMs = performance.now();

    const report = await workstation.reportUsage('cad', 4);

    expect(report.used).to.equal(4);
    expect(performance.now() - startedAtMs).to.be.at.least(190);
    const ids = requestIds(main, 'ReportUsage');
    expect(ids).to.have.length(2);
    expect(ids[0]).to.equal(ids[1]);
  });

  it('uses a fresh request id for each logical operation', async () => {
    const main = await node({ ReportUsage: () => usageReply(1, 'main', 1) });
    const workstation = client([main.address]);
    await workstation.reportUsage('cad', 1);
    await workstation.reportUsage('cad', 1);
    const ids = requestIds(main, 'ReportUsage');
    expect(ids).to.have.length(2);
    expect(ids[0]).not.to.equal(ids[1]);
  });

  it('rejects an answer from an older term than one seen and retries elsewhere', async () => {
    // Main first answers in term 5, then (deposed, but unaware) in term 4; backup leads in term 5.
    const main = await node({
      ReportUsage: (_request, index) => usageReply(index === 0 ? 5 : 4, 'main', 10 + index),
    });
    const backup = await node({ ReportUsage: () => usageReply(5, 'backup', 99) });
    const workstation = client([main.address, backup.address]);

    expect((await workstation.reportUsage('cad', 1)).used).to.equal(10);
    const second = await workstation.reportUsage('cad', 1);

    expect(second).to.include({ used: 99, term: 5 });
    expect(main.callsOf('ReportUsage')).to.have.length(2);
    expect(backup.callsOf('ReportUsage')).to.have.length(1);
    expect(requestIds(backup, 'ReportUsage')[0]).to.equal(requestIds(main, 'ReportUsage')[1]);
    expect(workstation.leader?.leaderId).to.equal('backup');
  });

  it('fences a rejection from an older term too, and learns terms from error metadata', async () => {
    const main = await node({
      ReportUsage: (_request, index) =>
        index === 0 ? notLeader(8) : rejection(7, grpc.status.RESOURCE_EXHAUSTED, 'quota_exhausted'),
    });
    const backup = await node({
      ReportUsage: (_request, index) =>
        index === 0 ? { status: grpc.status.UNAVAILABLE, details: 'electing' } : usageReply(8, 'backup', 1),
    });
    const workstation = client([main.address, backup.address]);

    // Attempts: main (term 8, no leader), backup (no term), main (stale rejection), backup (answer).
    const report = await workstation.reportUsage('cad', 1);

    expect(report).to.include({ used: 1, term: 8 });
    expect(main.callsOf('ReportUsage')).to.have.length(2);
    expect(backup.callsOf('ReportUsage')).to.have.length(2);
  });

  it('prefers main whenever main answers, even when backup also leads', async () => {
    const main = await node({ ReportUsage: () => usageReply(4, 'main', 1) });
    const backup = await node({ ReportUsage: () => usageReply(4, 'backup', 1) });
    const workstation = client([main.address, backup.address]);

    for (let index = 0; index < 3; index += 1) await workstation.reportUsage('cad', 1);

    expect(main.callsOf('ReportUsage')).to.have.length(3);
    expect(backup.callsOf('ReportUsage')).to.have.length(0);
    expect(workstation.leader?.leaderId).to.equal('main');
  });

  it('goes back to main once main answers again', async () => {
    const main = await node({
      ReportUsage: (_request, index) =>
        index === 0 ? { status: grpc.status.UNAVAILABLE, details: 'starting' } : usageReply(6, 'main', 2),
    });
    const backup = await node({ ReportUsage: () => usageReply(6, 'backup', 1) });
    const workstation = client([main.address, backup.address], { mainRetryIntervalMs: 300 });
    const changes: string[] = [];
    workstation.on('leader-changed', (leader: LeaderInfo) => changes.push(leader.leaderId));

    expect((await workstation.reportUsage('cad', 1)).used).to.equal(1);
    // Within the retry interval the client goes straight to the leader it knows.
    expect((await workstation.reportUsage('cad', 1)).used).to.equal(1);
    expect(main.callsOf('ReportUsage')).to.have.length(1);
    await sleep(350);
    expect((await workstation.reportUsage('cad', 1)).used).to.equal(2);

    expect(main.callsOf('ReportUsage')).to.have.length(2);
    expect(backup.callsOf('ReportUsage')).to.have.length(2);
    expect(changes).to.deep.equal(['backup', 'main']);
  });

  it('throws UnavailableError after maxAttempts when no server answers', async () => {
    const workstation = client([await unusedAddress(), await unusedAddress()], { maxAttempts: 3 });
    let caught: unknown;
    try {
      await workstation.reportUsage('cad', 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(UnavailableError);
    expect(caught).to.include({ code: 'unavailable', retryable: true, attempts: 3 });
  });

  it('surfaces seat_limit_reached as a RejectedError without retrying', async () => {
    const main = await node({
      AcquireLease: () => rejection(2, grpc.status.RESOURCE_EXHAUSTED, 'seat_limit_reached'),
    });
    const workstation = client([main.address]);
    let caught: unknown;
    try {
      await workstation.acquire('cad');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(RejectedError);
    expect(caught).to.include({
      code: 'seat_limit_reached',
      reason: 'seat_limit_reached',
      retryable: false,
      term: 2,
    });
    expect(main.callsOf('AcquireLease')).to.have.length(1);
    expect(workstation.leases).to.have.length(0);
  });

  it('surfaces licence_overdrawn (FAILED_PRECONDITION) as a RejectedError without retrying', async () => {
    const main = await node({
      AcquireLease: () => rejection(3, grpc.status.FAILED_PRECONDITION, 'licence_overdrawn'),
    });
    const workstation = client([main.address]);
    let caught: unknown;
    try {
      await workstation.acquire('cad');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(RejectedError);
    expect(caught).to.include({
      code: 'licence_overdrawn',
      reason: 'licence_overdrawn',
      retryable: false,
      term: 3,
    });
    expect(main.callsOf('AcquireLease')).to.have.length(1);
  });

  it('renews in the background every third of the TTL and emits renewed', async () => {
    let renewals = 0;
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-7', 300),
      RenewLease: () => {
        renewals += 1;
        return {
          response: {
            header: header(1, 'main'),
            lease: lease('lease-7', 300, { renewedAtMs: 1000 + renewals }),
          },
        };
      },
    });
    const workstation = client([main.address]);
    const clientRenewals: Lease[] = [];
    workstation.on('renewed', (renewed: Lease) => clientRenewals.push(renewed));

    const handle = await workstation.acquire('cad', { ttlMs: 300 });
    const acquiredAtMs = main.callsOf('AcquireLease')[0]?.atMs ?? 0;
    expect(handle.renewalIntervalMs).to.equal(100);
    const first = await nextEvent<Lease>(handle, 'renewed');
    await nextEvent(handle, 'renewed');

    const renewCalls = main.callsOf('RenewLease');
    expect(renewCalls.length).to.be.at.least(2);
    const firstDelayMs = (renewCalls[0]?.atMs ?? 0) - acquiredAtMs;
    expect(firstDelayMs).to.be.within(80, 250);
    expect(renewCalls[0]?.request).to.include({ leaseId: 'lease-7', ttlMs: 0 });
    expect(renewCalls[0]?.request.requestId).not.to.equal(renewCalls[1]?.request.requestId);
    expect(first.renewedAtMs).to.equal(1001);
    expect(handle.lease.renewedAtMs).to.be.at.least(1002);
    expect(clientRenewals.map((renewed) => renewed.renewedAtMs).slice(0, 2)).to.deep.equal([1001, 1002]);
    await handle.release().catch(() => undefined);
  });

  it('keeps the request id across the retries of one renewal', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-8', 300),
      RenewLease: (_request, index) =>
        index === 0
          ? { status: grpc.status.UNAVAILABLE, details: 'blip' }
          : leaseReply(1, 'main', 'lease-8', 300),
    });
    const workstation = client([main.address]);
    const handle = await workstation.acquire('cad', { ttlMs: 300 });
    await nextEvent(handle, 'renewed');
    const ids = requestIds(main, 'RenewLease');
    expect(ids[0]).to.equal(ids[1]);
    await handle.release().catch(() => undefined);
  });

  it('emits lease-lost when the server says lease_not_found', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-3', 150),
      RenewLease: () => ({
        status: grpc.status.NOT_FOUND,
        details: 'lease_id: lease "lease-3" does not exist',
        metadata: { [FIELD_KEY]: 'lease_id', [TERM_KEY]: '1' },
      }),
    });
    const workstation = client([main.address]);
    const clientLost = nextEvent<LeaseLostEvent>(workstation, 'lease-lost');
    const handle = await workstation.acquire('cad', { ttlMs: 150 });

    const event = await nextEvent<LeaseLostEvent>(handle, 'lease-lost');

    expect(event.leaseId).to.equal('lease-3');
    expect(event.reason).to.equal('lease_not_found');
    expect(event.error).to.be.instanceOf(NotFoundError);
    expect((await clientLost).leaseId).to.equal('lease-3');
    expect(handle.state).to.equal('lost');
    expect(workstation.leases).to.have.length(0);
    await sleep(120);
    expect(main.callsOf('RenewLease')).to.have.length(1);
  });

  it('declares the lease lost when no server answers a renewal until the grace after its expiry ends', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-5', 300),
      RenewLease: () => ({ status: grpc.status.UNAVAILABLE, details: 'down' }),
    });
    const workstation = client([main.address], { maxAttempts: 2, requestTimeoutMs: 100, renewalGraceMs: 0 });
    // No 'error' listener: failed renewals must not crash the process.
    const startedAtMs = performance.now();
    const handle = await workstation.acquire('cad', { ttlMs: 300 });
    const event = await nextEvent<LeaseLostEvent>(handle, 'lease-lost');
    expect(event.reason).to.equal('expired');
    expect(event.error).to.be.instanceOf(UnavailableError);
    expect(performance.now() - startedAtMs).to.be.within(280, 1000);
  });

  it('keeps renewing past the local expiry while no server answers, as a failover would need', async () => {
    const downUntilMs = performance.now() + 700;
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-9', 300),
      RenewLease: () =>
        performance.now() < downUntilMs
          ? { status: grpc.status.UNAVAILABLE, details: 'failing over' }
          : leaseReply(2, 'main', 'lease-9', 300),
    });
    const workstation = client([main.address], {
      maxAttempts: 2,
      requestTimeoutMs: 100,
      renewalGraceMs: 5000,
    });
    const lost: LeaseLostEvent[] = [];
    const handle = await workstation.acquire('cad', { ttlMs: 300 });
    handle.on('lease-lost', (event: LeaseLostEvent) => lost.push(event));
    await nextEvent(handle, 'renewed');
    expect(performance.now()).to.be.greaterThan(downUntilMs);
    expect(lost).to.deep.equal([]);
    expect(handle.state).to.equal('held');
  });

  it('emits error for a failed renewal only to listeners, and keeps renewing', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-6', 600),
      RenewLease: (_request, index) =>
        index < 2
          ? { status: grpc.status.UNAVAILABLE, details: 'down' }
          : leaseReply(1, 'main', 'lease-6', 600),
    });
    const workstation = client([main.address], { maxAttempts: 1 });
    const errors: unknown[] = [];
    workstation.on('error', (error) => errors.push(error));
    const handle = await workstation.acquire('cad', { ttlMs: 600 });
    await nextEvent(handle, 'renewed');
    expect(errors.length).to.equal(2);
    expect(errors[0]).to.be.instanceOf(UnavailableError);
    expect(handle.state).to.equal('held');
    await handle.release().catch(() => undefined);
  });

  it('release stops renewal and releases the lease on the server', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-9', 150),
      RenewLease: () => leaseReply(1, 'main', 'lease-9', 150),
      ReleaseLease: () => leaseReply(1, 'main', 'lease-9', 150),
    });
    const workstation = client([main.address]);
    const handle = await workstation.acquire('cad', { ttlMs: 150 });

    await handle.release();
    await handle.release();
    await sleep(250);

    expect(main.callsOf('ReleaseLease')).to.have.length(1);
    expect(main.callsOf('ReleaseLease')[0]?.request).to.include({ leaseId: 'lease-9' });
    expect(main.callsOf('RenewLease')).to.have.length(0);
    expect(handle.state).to.equal('released');
    expect(workstation.leases).to.have.length(0);
  });

  it('treats releasing a lease the server no longer has as released', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-2', 3000),
      ReleaseLease: () => rejection(1, grpc.status.NOT_FOUND, 'lease_not_found'),
    });
    const workstation = client([main.address]);
    const handle = await workstation.acquire('cad');
    await handle.release();
    expect(handle.state).to.equal('released');
  });

  it('treats a release recorded as an intent (pair mode, the other side of a split) as released', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-2', 3000),
      ReleaseLease: () => ({ response: { header: header(1, 'main'), recordedAsIntent: true } }),
    });
    const workstation = client([main.address]);
    const handle = await workstation.acquire('cad');
    const released = nextEvent<Lease>(handle, 'released');
    await handle.release();
    expect(handle.state).to.equal('released');
    expect((await released).leaseId).to.equal('lease-2');
    expect(workstation.leases).to.have.length(0);
  });

  it('keeps the lease when a renewal is recorded as an intent, and goes on renewing', async () => {
    const main = await node({
      AcquireLease: () => leaseReply(1, 'main', 'lease-3', 300),
      RenewLease: () => ({ response: { header: header(1, 'main'), recordedAsIntent: true } }),
    });
    const workstation = client([main.address]);
    const handle = await workstation.acquire('cad', { ttlMs: 300 });
    const first = await nextEvent<Lease>(handle, 'renewed');
    await nextEvent(handle, 'renewed');
    expect(first.leaseId).to.equal('lease-3');
    expect(handle.state).to.equal('held');
    expect(main.callsOf('RenewLease').length).to.be.at.least(2);
    await handle.release().catch(() => undefined);
  });

  it('sends merged workstation parameters and the default TTL', async () => {
    const main = await node({ AcquireLease: () => leaseReply(1, 'main') });
    const workstation = client([main.address], {
      defaultTtlMs: 4000,
      parameters: { host: 'settings-host', productVersion: '2.0' },
    });
    const handle = await workstation.acquire('cad', { parameters: { user: 'alice' } });
    const request = main.callsOf('AcquireLease')[0]?.request;
    expect(request?.ttlMs).to.equal(4000);
    expect(request?.parameters).to.include({ host: 'settings-host', user: 'alice', productVersion: '2.0' });
    handle.abandon();
  });

  it('reports remaining as null when the licence has no quota, and reads a licence', async () => {
    const main = await node({
      ReportUsage: () => ({
        response: { header: header(2, 'main'), licenceId: 'cad', periodStartMs: 0, used: 7 },
      }),
      GetLicence: () => ({
        response: {
          header: header(2, 'main'),
          licence: {
            spec: { licenceId: 'cad', product: 'CAD', seats: 5, redundancy: true, features: { tier: 'pro' } },
            status: 'LICENCE_STATUS_ACTIVE',
            seatsInUse: 2,
          },
        },
      }),
    });
    const workstation = await connect({ servers: [main.address], workstationId: 'ws-1', tls });
    clients.push(workstation);
    expect(await workstation.reportUsage('cad', 7)).to.deep.equal({
      licenceId: 'cad',
      periodStartMs: 0,
      used: 7,
      remaining: null,
      term: 2,
    });
    const licence = await workstation.getLicence('cad');
    expect(licence).to.include({
      licenceId: 'cad',
      product: 'CAD',
      seats: 5,
      seatsInUse: 2,
      status: 'active',
    });
    expect(licence.quota).to.equal(null);
    expect(licence.features).to.deep.equal({ tier: 'pro' });
  });

  it('replaces a channel whose TCP connect stalls, and fails the call that waited on it', async () => {
    // A server whose accept queue is full: the kernel drops the client's SYNs, as a firewall would,
    // and the connect waits on SYN retransmissions. The call fails when the attempt is given up (not
    // at its own deadline), and the next call gets a new channel that tries again.
    const stalled = await stalledListener();
    try {
      const workstation = client([stalled.address], { requestTimeoutMs: 10_000, maxAttempts: 1 });
      const channel = workstation.connection.workstationService(stalled.address).getChannel();
      const startedAtMs = performance.now();
      const error = await workstation.reportUsage('cad', 1).catch((caught: unknown) => caught);
      const elapsedMs = performance.now() - startedAtMs;
      expect(error).to.be.instanceOf(UnavailableError);
      expect(elapsedMs, 'failed when the attempt was given up').to.be.within(CONNECT_TIMEOUT_MS - 50, 6000);
      expect(channel.getConnectivityState(false)).to.equal(grpc.connectivityState.SHUTDOWN);
      const next = workstation.connection.workstationService(stalled.address).getChannel();
      expect(next, 'a new channel').to.not.equal(channel);
      expect(workstation.connection.adminService(stalled.address).getChannel(), 'shared again').to.equal(
        next,
      );
    } finally {
      stalled.close();
    }
  });

  it('lets a handshake under way finish past the connect timeout instead of starting it again', async () => {
    // The TCP connection is up at once, but the server's side of the TLS handshake comes later than
    // the connect timeout, as on a machine busy with hundreds of handshakes: the same channel
    // connects and the call succeeds.
    const main = await node({ ReportUsage: () => usageReply(2, 'main', 1) });
    const slow = await delayingProxy(main.address, CONNECT_TIMEOUT_MS + 1000);
    try {
      const workstation = client([slow.address], { requestTimeoutMs: 10_000, maxAttempts: 1 });
      const channel = workstation.connection.workstationService(slow.address).getChannel();
      const report = await workstation.reportUsage('cad', 1);
      expect(report.used).to.equal(1);
      expect(
        workstation.connection.workstationService(slow.address).getChannel(),
        'the same channel',
      ).to.equal(channel);
      expect(main.callsOf('ReportUsage')).to.have.length(1);
    } finally {
      slow.close();
    }
  });

  it('starts at most a few connection attempts to one server at a time, the others waiting their turn', async () => {
    // A server that takes TCP connections and never answers: every attempt stays in its handshake.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket.on('error', () => {})));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const count = MAX_HANDSHAKES_PER_ADDRESS + 4;
    try {
      const workstations = Array.from({ length: count }, () => client([address]));
      const deadline = Date.now() + 5000;
      let most = 0;
      while (
        handshakeSlots.waitingFor(address) < count - MAX_HANDSHAKES_PER_ADDRESS &&
        Date.now() < deadline
      ) {
        most = Math.max(most, handshakeSlots.inUse(address));
        await sleep(10);
      }
      expect(handshakeSlots.inUse(address), 'attempts under way').to.equal(MAX_HANDSHAKES_PER_ADDRESS);
      expect(handshakeSlots.waitingFor(address), 'attempts waiting').to.equal(
        count - MAX_HANDSHAKES_PER_ADDRESS,
      );
      expect(most).to.be.at.most(MAX_HANDSHAKES_PER_ADDRESS);
      // Closed clients give their slots back, although grpc-js cannot end their attempts; those
      // that were waiting take their turn and give it back at once (a few promise turns later).
      for (const workstation of workstations) workstation.close();
      await sleep(0);
      expect(handshakeSlots.inUse(address)).to.equal(0);
      expect(handshakeSlots.waitingFor(address)).to.equal(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('shares one channel per server across services', async () => {
    const main = await node({});
    const workstation = client([main.address]);
    const connection = workstation.connection;
    expect(connection.workstationService(main.address).getChannel()).to.equal(
      connection.adminService(main.address).getChannel(),
    );
    expect(connection.workstationService(main.address)).to.equal(connection.workstationService(main.address));
  });

  describe('credentials', () => {
    it('proves who it is with its workstation certificate, and takes its id from it', async () => {
      const main = await node({ AcquireLease: () => leaseReply(1, 'main') });
      const own = await (await testPki()).tls('workstation', 'cad-station-17');
      const workstation = await connect({ servers: [main.address], tls: own, maxAttempts: 1 });
      clients.push(workstation);
      expect(workstation.workstationId).to.equal('cad-station-17');
      (await workstation.acquire('cad', { ttlMs: 3000 })).abandon();
      const [call] = main.callsOf('AcquireLease');
      expect(call?.certificate).to.equal('workstation/cad-station-17');
      expect(call?.authorization).to.equal(null);
      expect(call?.request).to.include({ workstationId: 'cad-station-17' });
    });

    it('sends a bearer token over TLS when it has no certificate', async () => {
      const main = await node({ ReportUsage: () => usageReply(1, 'main', 2) });
      const workstation = client([main.address], {
        tls: { ca: tls.ca },
        token: 'ws-1.secret-token',
      });
      await workstation.reportUsage('cad', 2);
      const [call] = main.callsOf('ReportUsage');
      expect(call?.certificate).to.equal(null);
      expect(call?.authorization).to.equal('Bearer ws-1.secret-token');
    });

    it('refuses a server whose certificate is not a node of the cluster, and sends it nothing', async () => {
      const impostor = await startScriptedServer(
        { ReportUsage: () => usageReply(1, 'main', 2) },
        'WorkstationService',
        { certificate: { role: 'workstation', name: 'impostor' } },
      );
      nodes.push(impostor);
      const workstation = client([impostor.address], { maxAttempts: 2 });
      const error = await workstation.reportUsage('cad', 2).catch((caught: unknown) => caught);
      // A certificate problem fails the same way on every attempt: a final TlsError.
      expect(error).to.be.instanceOf(TlsError);
      expect((error as TlsError).retryable).to.equal(false);
      expect(impostor.calls).to.deep.equal([]);
    });

    it('names the setting when a certificate file cannot be read', async () => {
      const missing = { ...tls, ca: `${tls.ca}.missing` };
      let error: unknown = null;
      try {
        client(['127.0.0.1:1'], { tls: missing });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(SettingsError);
      expect((error as SettingsError).field).to.equal('tls.ca');
      const crossed = { ...tls, key: tls.ca };
      try {
        client(['127.0.0.1:1'], { tls: crossed });
        error = null;
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(SettingsError);
      expect((error as SettingsError).field).to.equal('tls.key');
    });

    it('talks plaintext only to a cluster that runs insecure, and only when told to', async () => {
      const plain = await startScriptedServer(
        { ReportUsage: () => usageReply(1, 'main', 3) },
        'WorkstationService',
        {
          insecure: true,
        },
      );
      nodes.push(plain);
      const insecure = client([plain.address], { tls: undefined, insecure: true });
      expect((await insecure.reportUsage('cad', 3)).used).to.equal(3);
      expect(plain.callsOf('ReportUsage')[0]).to.include({ certificate: null, authorization: null });
      // A client with TLS does not fall back to plaintext.
      const secure = client([plain.address], { maxAttempts: 2 });
      const error = await secure.reportUsage('cad', 3).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(TlsError);
      expect(plain.callsOf('ReportUsage')).to.have.length(1);
    });
  });
});

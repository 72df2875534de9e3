import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { AuthError, Guard, METHOD_ROLES } from '../src/auth.js';
import type { SecurityConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { RateLimiter } from '../src/rate-limiter.js';

const logger = createLogger('error', 'test');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function security(overrides: Partial<SecurityConfig> = {}): SecurityConfig {
  return {
    insecure: false,
    client: null,
    peer: null,
    tokens: [
      { name: 'ci', role: 'operator', sha256: sha256('secret-ci') },
      { name: 'ws-7', role: 'workstation', sha256: sha256('secret-ws-7') },
    ],
    reflection: false,
    ...overrides,
  };
}

function fakeCall(authorization?: string) {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return { metadata, getPeer: () => 'ipv4:10.0.0.9:5555', getAuthContext: () => ({}) };
}

function refusal(action: () => unknown): grpc.status | null {
  try {
    action();
    return null;
  } catch (error) {
    expect(error).to.be.instanceOf(AuthError);
    return (error as AuthError).grpcCode;
  }
}

describe('the guard', () => {
  it('knows a token by its sha256 and gives its name and role', () => {
    const guard = new Guard({ security: security(), logger, workstationRate: null });
    expect(guard.authenticate(fakeCall('Bearer secret-ci'))).to.deep.equal({
      name: 'ci',
      role: 'operator',
      via: 'token',
      from: 'ipv4:10.0.0.9:5555',
    });
    expect(guard.authenticate(fakeCall('Bearer secret-ws-7')).role).to.equal('workstation');
  });

  it('says UNAUTHENTICATED without credentials, with an unknown token, or a malformed header', () => {
    const guard = new Guard({ security: security(), logger, workstationRate: null });
    expect(refusal(() => guard.authenticate(fakeCall()))).to.equal(grpc.status.UNAUTHENTICATED);
    expect(refusal(() => guard.authenticate(fakeCall('Bearer wrong')))).to.equal(grpc.status.UNAUTHENTICATED);
    expect(refusal(() => guard.authenticate(fakeCall('Basic c2VjcmV0')))).to.equal(
      grpc.status.UNAUTHENTICATED,
    );
    expect(refusal(() => guard.authenticate(fakeCall(`Bearer ${'x'.repeat(600)}`)))).to.equal(
      grpc.status.UNAUTHENTICATED,
    );
  });

  it('makes every caller an admin only on an insecure node', () => {
    const guard = new Guard({ security: security({ insecure: true }), logger, workstationRate: null });
    const identity = guard.authenticate(fakeCall());
    expect(identity).to.deep.include({ role: 'admin', via: 'insecure' });
    expect(refusal(() => guard.authorize(identity, 'tandem.v1.AdminService', 'ActivateLicence'))).to.equal(
      null,
    );
  });

  it('refuses a role the method does not allow, naming the role needed', () => {
    const guard = new Guard({ security: security(), logger, workstationRate: null });
    const operator = guard.authenticate(fakeCall('Bearer secret-ci'));
    expect(refusal(() => guard.authorize(operator, 'tandem.v1.AdminService', 'RevokeLease'))).to.equal(null);
    try {
      guard.authorize(operator, 'tandem.v1.AdminService', 'ActivateLicence');
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as AuthError).grpcCode).to.equal(grpc.status.PERMISSION_DENIED);
      expect((error as AuthError).message).to.match(/needs the role admin/);
    }
    expect(refusal(() => guard.authorize(operator, 'tandem.v1.PeerService', 'AppendEntries'))).to.equal(
      grpc.status.PERMISSION_DENIED,
    );
    expect(refusal(() => guard.authorize(operator, 'tandem.v1.Unknown', 'Anything'))).to.equal(
      grpc.status.PERMISSION_DENIED,
    );
  });

  it('gives nodes only the peer and witness services, and never through a token', () => {
    const guard = new Guard({ security: security(), logger, workstationRate: null });
    const node = { name: 'main', role: 'node' as const, via: 'certificate' as const, from: 'x' };
    expect(refusal(() => guard.authorize(node, 'tandem.v1.PeerService', 'AppendEntries'))).to.equal(null);
    expect(refusal(() => guard.authorize(node, 'tandem.v1.WitnessService', 'Heartbeat'))).to.equal(null);
    expect(refusal(() => guard.authorize(node, 'tandem.v1.AdminService', 'ClusterStatus'))).to.equal(
      grpc.status.PERMISSION_DENIED,
    );
    const forged = { ...node, via: 'token' as const };
    expect(refusal(() => guard.authorize(forged, 'tandem.v1.PeerService', 'AppendEntries'))).to.equal(
      grpc.status.PERMISSION_DENIED,
    );
  });

  it('has a rule for every method of every service', async () => {
    const { loadTandemProto } = await import('@tandem/wire');
    const proto = loadTandemProto().tandem.v1 as unknown as Record<string, grpc.ServiceClientConstructor>;
    for (const service of ['WorkstationService', 'AdminService', 'PeerService', 'WitnessService']) {
      for (const method of Object.keys(proto[service]?.service ?? {})) {
        expect(METHOD_ROLES[`tandem.v1.${service}`]?.[method], `${service}/${method}`).to.be.an('array');
      }
    }
  });

  it('rate-limits workstation calls per identity with the time to wait', () => {
    const guard = new Guard({ security: security(), logger, workstationRate: { perSecond: 10, burst: 2 } });
    const workstation = guard.authenticate(fakeCall('Bearer secret-ws-7'));
    guard.limitRate(workstation);
    guard.limitRate(workstation);
    try {
      guard.limitRate(workstation);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as AuthError).grpcCode).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect((error as AuthError).retryAfterMs).to.be.within(1, 100);
      const status = (error as AuthError).toStatus();
      expect(status.metadata?.get('tandem-reason')).to.deep.equal(['rate_limited']);
    }
    // Another identity has a bucket of its own.
    guard.limitRate(guard.authenticate(fakeCall('Bearer secret-ci')));
  });
});

describe('RateLimiter', () => {
  it('refills continuously up to the burst', () => {
    const limiter = new RateLimiter(100, 5);
    for (let call = 0; call < 5; call += 1) expect(limiter.take('a', 0)).to.equal(0);
    expect(limiter.take('a', 0)).to.equal(10);
    expect(limiter.take('a', 10)).to.equal(0);
    expect(limiter.take('a', 10_000)).to.equal(0);
    for (let call = 0; call < 4; call += 1) expect(limiter.take('a', 10_000)).to.equal(0);
    expect(limiter.take('a', 10_000)).to.be.greaterThan(0);
  });
});

// The contract is split over several files (the public API, and internal/ for the nodes' own
// protocol); the loader must load every one of them, and the split must not move a gRPC path.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadTandemProto, PROTO_FILES, packageDefinition, protoRoot } from '../src/index.js';

/** Every gRPC path as it was before the split (other RPCs may be added; none may move). */
const PATHS_BEFORE_THE_SPLIT = [
  '/tandem.v1.WorkstationService/AcquireLease',
  '/tandem.v1.WorkstationService/RenewLease',
  '/tandem.v1.WorkstationService/ReleaseLease',
  '/tandem.v1.WorkstationService/ReportUsage',
  '/tandem.v1.WorkstationService/GetLicence',
  '/tandem.v1.AdminService/ActivateLicence',
  '/tandem.v1.AdminService/UpdateLicence',
  '/tandem.v1.AdminService/DeactivateLicence',
  '/tandem.v1.AdminService/ListLicences',
  '/tandem.v1.AdminService/GetLicence',
  '/tandem.v1.AdminService/ListLeases',
  '/tandem.v1.AdminService/RevokeLease',
  '/tandem.v1.AdminService/GetUsage',
  '/tandem.v1.AdminService/ClusterStatus',
  '/tandem.v1.AdminService/TransferLeadership',
  '/tandem.v1.AdminService/Snapshot',
  '/tandem.v1.AdminService/Verify',
  '/tandem.v1.AdminService/ListIncidents',
  '/tandem.v1.AdminService/ListAudit',
  '/tandem.v1.PeerService/AppendEntries',
  '/tandem.v1.PeerService/AppendEntriesStream',
  '/tandem.v1.PeerService/RequestVote',
  '/tandem.v1.PeerService/InstallSnapshot',
  '/tandem.v1.PeerService/TimeoutNow',
  '/tandem.v1.PeerService/MergeOffer',
  '/tandem.v1.WitnessService/RequestVote',
  '/tandem.v1.WitnessService/RecordInSync',
  '/tandem.v1.WitnessService/Heartbeat',
  '/tandem.v1.WitnessService/GetState',
];

function protoFilesOnDisk(relative: string): string[] {
  return readdirSync(path.join(protoRoot(), relative)).flatMap((name) => {
    const file = path.posix.join(relative, name);
    if (statSync(path.join(protoRoot(), file)).isDirectory()) return protoFilesOnDisk(file);
    return name.endsWith('.proto') ? [file] : [];
  });
}

describe('the proto files', () => {
  it('PROTO_FILES lists every .proto file under proto/tandem/v1', () => {
    expect([...PROTO_FILES].sort()).to.deep.equal(protoFilesOnDisk('tandem/v1').sort());
  });

  it('keeps every gRPC path of the contract before the split', () => {
    const paths = Object.values(packageDefinition()).flatMap((definition) =>
      Object.values(definition as Record<string, { path?: unknown }>)
        .map((method) => method.path)
        .filter((methodPath): methodPath is string => typeof methodPath === 'string'),
    );
    expect(paths).to.include.members(PATHS_BEFORE_THE_SPLIT);
  });

  it('loads all four services into tandem.v1', () => {
    const v1 = loadTandemProto().tandem.v1;
    for (const service of [v1.WorkstationService, v1.AdminService, v1.PeerService, v1.WitnessService]) {
      expect(service).to.be.a('function');
    }
  });
});

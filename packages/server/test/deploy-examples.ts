// The annotated configurations in deploy/ name their certificates under /etc/tandem/pki, where
// `tandemctl pki init --dir /etc/tandem/pki` and `pki issue --node <id>` put them. The tests make
// those files for real (same names, from @tandem/pki) in a temporary directory and point the
// examples' paths there, so an example is validated with every file it names, each holding what
// the comments say it holds.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClusterCa, identityFromCertificate, issueCertificate, writePkiFiles } from '@tandem/pki';
import { expect } from 'chai';
import YAML from 'yaml';
import type { TandemConfig } from '../src/config.js';

/** Where the examples say the PKI lives. */
export const EXAMPLE_PKI_DIRECTORY = '/etc/tandem/pki';

export interface DeployPki {
  directory: string;
}

/** The CA (ca.crt, ca.key) and a certificate per member (`<id>.crt`, `<id>.key`), as the examples name them. */
export async function deployPki(
  directory: string,
  nodeIds: readonly string[],
  witnessId?: string,
): Promise<DeployPki> {
  const ca = await createClusterCa();
  await writePkiFiles(directory, 'ca', ca);
  const members: Array<['node' | 'witness', string]> = nodeIds.map((id) => ['node', id]);
  if (witnessId !== undefined) members.push(['witness', witnessId]);
  for (const [role, id] of members) {
    const pair = await issueCertificate(ca, { role, name: id, hosts: [`licences-${id}.example.internal`] });
    await writePkiFiles(directory, id, pair);
  }
  return { directory };
}

type Raw = Record<string, unknown>;

/**
 * Reads deploy/<file> with its data directory moved to dataDir and every tls path (tls.ca, .cert,
 * .key, and those of tls.client and tls.peer) moved from /etc/tandem/pki to the generated files.
 * A path anywhere else fails the test: the example would name a file nobody told the operator to make.
 */
export function loadExample(file: string, pki: DeployPki, dataDir: string): Raw {
  const example = path.resolve(import.meta.dirname, `../../../deploy/${file}`);
  const document = YAML.parse(readFileSync(example, 'utf8')) as Raw & { node: Raw; tls?: Raw };
  document.node.dataDir = dataDir;
  expect(document.tls, `${file} has a tls section`).to.be.an('object');
  const tls = document.tls as Raw;
  const moved: string[] = [];
  const move = (section: Raw, prefix: string) => {
    for (const key of ['ca', 'cert', 'key'] as const) {
      const value = section[key];
      if (value === undefined || value === null) continue;
      expect(value, `${file}: ${prefix}.${key}`).to.be.a('string');
      expect(path.dirname(value as string), `${file}: ${prefix}.${key}`).to.equal(EXAMPLE_PKI_DIRECTORY);
      section[key] = path.join(pki.directory, path.basename(value as string));
      moved.push(`${prefix}.${key}`);
    }
  };
  move(tls, 'tls');
  for (const listener of ['client', 'peer'] as const) {
    const section = tls[listener];
    if (typeof section === 'object' && section !== null) move(section as Raw, `tls.${listener}`);
  }
  expect(moved, `${file} names the CA, a certificate and a key`).to.include.members([
    'tls.ca',
    'tls.cert',
    'tls.key',
  ]);
  return document;
}

/** The certificate an example's listeners use names this member (`tandem://<role>/<id>`). */
export function expectNodeCertificate(config: TandemConfig, role: 'node' | 'witness', id: string): void {
  const { client, peer } = config.security;
  expect(client, 'tls for the client port').to.not.equal(null);
  expect(peer, 'tls for the peer links').to.not.equal(null);
  for (const files of [client, peer]) {
    const identity = identityFromCertificate(readFileSync(files?.cert ?? '', 'utf8'));
    expect(identity).to.deep.include({ role, name: id });
  }
}

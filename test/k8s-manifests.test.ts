// The Kubernetes manifests in deploy/k8s, without a cluster: every object validates against the
// Kubernetes OpenAPI schema (kubernetes-models: types, enums and required fields of Kubernetes
// 1.27; it does not reject unknown fields), the objects refer to each other correctly (Services,
// ConfigMaps, labels, named ports, volumes), and each tandemd configuration in a ConfigMap passes
// tandemd's own parser and fits the pod it is mounted in.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseConfig } from '@tandem/server';
import { removeDirectory, repositoryRoot, temporaryDirectory } from '@tandem/testkit';
import { expect } from 'chai';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import YAML from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML of any shape; the schema checks it first.
type Manifest = Record<string, any>;

const MODELS: Record<string, new (data: Manifest) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

const directory = path.join(repositoryRoot(), 'deploy/k8s');

function loadManifests(): { file: string; manifest: Manifest }[] {
  const found: { file: string; manifest: Manifest }[] = [];
  for (const file of readdirSync(directory)
    .filter((name) => name.endsWith('.yaml'))
    .sort()) {
    if (file === 'kustomization.yaml') continue;
    for (const document of YAML.parseAllDocuments(readFileSync(path.join(directory, file), 'utf8'))) {
      expect(document.errors, `${file}: ${document.errors.join('; ')}`).to.deep.equal([]);
      found.push({ file, manifest: document.toJS() as Manifest });
    }
  }
  return found;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe('Kubernetes manifests (deploy/k8s)', () => {
  const manifests = loadManifests();
  const ofKind = (kind: string) =>
    manifests.filter((each) => each.manifest.kind === kind).map((each) => each.manifest);
  const statefulSets = ofKind('StatefulSet');
  const services = ofKind('Service');
  const configMaps = ofKind('ConfigMap');

  it('lists every manifest file in kustomization.yaml, and only those', () => {
    const kustomization = YAML.parse(readFileSync(path.join(directory, 'kustomization.yaml'), 'utf8'));
    expect(kustomization.kind).to.equal('Kustomization');
    const files = [...new Set(manifests.map((each) => each.file))];
    expect([...kustomization.resources].sort()).to.deep.equal(files.sort());
    for (const statefulSet of statefulSets) {
      const images = statefulSet.spec.template.spec.containers.map((container: Manifest) => container.image);
      for (const image of images) {
        expect(
          kustomization.images.map((each: Manifest) => each.name),
          'image set by kustomize',
        ).to.include(image);
      }
    }
  });

  it('validates every object against the Kubernetes schema', () => {
    for (const { file, manifest } of manifests) {
      const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(model, `${file}: ${manifest.apiVersion} ${manifest.kind} has no schema here`).to.not.equal(
        undefined,
      );
      const name = `${file}: ${manifest.kind} ${manifest.metadata?.name}`;
      expect(() => new (model as NonNullable<typeof model>)(manifest).validate(), name).to.not.throw();
    }
  });

  it('runs main, backup and the witness, each a StatefulSet with its own volume, never two on one machine', () => {
    const components = statefulSets.map(
      (each) => each.spec.template.metadata.labels['app.kubernetes.io/component'],
    );
    expect(components.sort()).to.deep.equal(['backup', 'main', 'witness']);
    for (const statefulSet of statefulSets) {
      const name = statefulSet.metadata.name;
      expect(statefulSet.spec.replicas, name).to.equal(1);
      expect(
        matches(statefulSet.spec.selector.matchLabels, statefulSet.spec.template.metadata.labels),
        name,
      ).to.equal(true);
      const governing = services.find((service) => service.metadata.name === statefulSet.spec.serviceName);
      expect(governing, `${name}: its serviceName`).to.not.equal(undefined);
      expect(governing?.spec.clusterIP, `${name}: governing Service is headless`).to.equal('None');
      const antiAffinity =
        statefulSet.spec.template.spec.affinity.podAntiAffinity
          .requiredDuringSchedulingIgnoredDuringExecution;
      expect(antiAffinity, name).to.have.length(1);
      expect(antiAffinity[0].topologyKey).to.equal('kubernetes.io/hostname');
      for (const other of statefulSets) {
        expect(
          matches(antiAffinity[0].labelSelector.matchLabels, other.spec.template.metadata.labels),
        ).to.equal(true);
      }
      const claims = statefulSet.spec.volumeClaimTemplates.map((claim: Manifest) => claim.metadata.name);
      const container = statefulSet.spec.template.spec.containers[0];
      const dataMount = container.volumeMounts.find((mount: Manifest) => mount.name === 'data');
      expect(claims, name).to.deep.equal(['data']);
      expect(dataMount?.mountPath, name).to.equal('/var/lib/tandem');
      const security = statefulSet.spec.template.spec.securityContext;
      expect(security.runAsNonRoot, name).to.equal(true);
      expect(container.securityContext.allowPrivilegeEscalation, name).to.equal(false);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(container[probe].exec.command, `${name} ${probe}`).to.include('health');
      }
    }
  });

  it('points every Service at one pod, by named ports that the pod has', () => {
    for (const service of services) {
      const selected = statefulSets.filter((each) =>
        matches(service.spec.selector, each.spec.template.metadata.labels),
      );
      expect(selected, service.metadata.name).to.have.length(1);
      const ports = (selected[0] as Manifest).spec.template.spec.containers[0].ports.map(
        (port: Manifest) => port.name,
      );
      for (const port of service.spec.ports) {
        expect(ports, `${service.metadata.name} port ${port.name}`).to.include(port.targetPort);
      }
    }
  });

  it('keeps two of the three members up through voluntary disruptions', () => {
    const [budget, ...others] = ofKind('PodDisruptionBudget');
    expect(others).to.deep.equal([]);
    expect(budget?.spec.minAvailable).to.equal(2);
    for (const statefulSet of statefulSets) {
      expect(matches(budget?.spec.selector.matchLabels, statefulSet.spec.template.metadata.labels)).to.equal(
        true,
      );
    }
  });

  it('gives each pod a tandemd configuration that tandemd accepts and that fits the pod', async () => {
    // tandemd checks that the certificate files exist: stand-ins for the Secret's files.
    const scratch = await temporaryDirectory('tandem-k8s-');
    try {
      const pki = path.join(scratch, 'pki');
      await mkdir(pki);
      for (const file of ['ca.crt', 'tls.crt', 'tls.key']) await writeFile(path.join(pki, file), '');
      for (const statefulSet of statefulSets) {
        const name = statefulSet.metadata.name;
        const pod = statefulSet.spec.template.spec;
        const container = pod.containers[0];
        const mountOf = (volume: string) =>
          container.volumeMounts.find((mount: Manifest) => mount.name === volume)?.mountPath as string;
        const configVolume = pod.volumes.find((volume: Manifest) => volume.name === 'config');
        const configMap = configMaps.find((each) => each.metadata.name === configVolume?.configMap?.name);
        expect(configMap, `${name}: its ConfigMap`).to.not.equal(undefined);
        const configFile = container.args[container.args.indexOf('--config') + 1];
        expect(path.dirname(configFile), name).to.equal(mountOf('config'));
        const text = (configMap as Manifest).data[path.basename(configFile)] as string;
        expect(text, `${name}: ${configFile} in its ConfigMap`).to.be.a('string');

        const pkiVolume = pod.volumes.find((volume: Manifest) => volume.name === 'pki');
        expect(pkiVolume?.secret?.secretName, name).to.equal(`${name}-tls`);
        // The parser also makes the data directory: under the scratch directory, not on this machine.
        const data = path.join(scratch, 'data');
        const document = YAML.parse(
          text.replaceAll(`${mountOf('pki')}/`, `${pki}/`).replaceAll(`${mountOf('data')}/`, `${data}/`),
        );
        const config = parseConfig(document, mountOf('config'));
        const component = statefulSet.spec.template.metadata.labels['app.kubernetes.io/component'];
        expect(config.node.id, name).to.equal(component);
        expect(config.node.role, name).to.equal(component);
        expect(config.cluster.mode, name).to.equal('witness');
        expect(config.node.dataDir.startsWith(`${data}/`), `${name}: dataDir on the volume`).to.equal(true);

        const portOf = (portName: string) =>
          container.ports.find((port: Manifest) => port.name === portName)?.containerPort as
            | number
            | undefined;
        expect(Number(document.node.listen.split(':').at(-1)), `${name}: node.listen`).to.equal(
          portOf('client'),
        );
        if (document.node.peerListen !== undefined) {
          expect(Number(document.node.peerListen.split(':').at(-1)), `${name}: node.peerListen`).to.equal(
            portOf('peer'),
          );
        }
        // Every member address is a Service of that member, on a port it serves.
        for (const member of document.cluster.nodes as Manifest[]) {
          for (const [field, portName] of [
            ['address', 'client'],
            ['peerAddress', 'peer'],
          ] as const) {
            if (member[field] === undefined) continue;
            const [host, port] = (member[field] as string).split(':');
            const service = services.find((each) => each.metadata.name === host);
            expect(service, `${name}: ${member.id}.${field} ${member[field]}`).to.not.equal(undefined);
            expect(service?.spec.selector['app.kubernetes.io/component'], `${member.id}.${field}`).to.equal(
              member.role,
            );
            const servicePort = service?.spec.ports.find((each: Manifest) => each.port === Number(port));
            expect(servicePort?.targetPort, `${name}: ${member.id}.${field} port`).to.equal(portName);
          }
        }
      }
    } finally {
      await removeDirectory(scratch);
    }
  });
});

// The HTTP port of one real tandemd in this process (TLS on the client port's files, real LevelDB):
// /healthz is open; the API takes a verified client certificate or a bearer token and the roles of
// the AdminService method behind each route; unknown paths, wrong methods, large or non-JSON bodies
// and cross-origin posts get their status; /metrics serves the node's own metrics;
// an insecure node serves plaintext with every caller an admin.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { expect } from 'chai';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { Tandemd } from '../src/tandemd.js';
import { licensingConfig } from './licence-files.js';
import { ServerTestPki, type TlsPaths } from './test-pki.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): Record<string, unknown>;
}

const VIEWER_TOKEN = 'viewer-token-for-the-http-port-test';
const OPERATOR_TOKEN = 'operator-token-for-the-http-port-test';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function request(
  address: string,
  options: {
    method?: string;
    path: string;
    tls?: TlsPaths | { ca: string };
    headers?: Record<string, string>;
    body?: string;
    secure?: boolean;
  },
): Promise<Answer> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  const secure = options.secure ?? true;
  return new Promise((resolve, reject) => {
    const tls = options.tls;
    const base = {
      host,
      port,
      method: options.method ?? 'GET',
      path: options.path,
      headers: options.headers ?? {},
    };
    const done = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body,
          json: () => JSON.parse(body) as Record<string, unknown>,
        });
      });
    };
    const outgoing = secure
      ? https.request(
          {
            ...base,
            ca: tls === undefined ? undefined : readFileSync(tls.ca),
            ...(tls !== undefined && 'cert' in tls
              ? { cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
              : {}),
            // The node's certificate names tandem://node/main; the CA is what is checked here.
            checkServerIdentity: () => undefined,
            agent: false,
          },
          done,
        )
      : http.request({ ...base, agent: false }, done);
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('the HTTP port (node.httpListen)', function () {
  this.timeout(30_000);
  let directory: string;
  let pki: ServerTestPki;
  let node: Tandemd;
  let address: string;
  let ca: { ca: string };

  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'tandem-http-'));
    pki = await ServerTestPki.create(path.join(directory, 'pki'));
    ca = { ca: (await pki.tls('viewer', 'ca-only')).ca };
    node = await Tandemd.start(
      parseConfig({
        node: {
          id: 'main',
          listen: '127.0.0.1:0',
          httpListen: '127.0.0.1:0',
          dataDir: path.join(directory, 'main'),
        },
        licensing: licensingConfig(),
        tls: await pki.tls('node', 'main'),
        auth: {
          tokens: [
            { name: 'web-viewer', role: 'viewer', sha256: sha256(VIEWER_TOKEN) },
            { name: 'web-operator', role: 'operator', sha256: sha256(OPERATOR_TOKEN) },
          ],
        },
        log: { level: 'error' },
      }),
      createLogger('error', 'main'),
    );
    address = node.httpAddress as string;
  });

  after(async () => {
    await node?.stop();
    pki?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('says where it listens, and serves /healthz to anyone over TLS', async () => {
    expect(address).to.match(/^127\.0\.0\.1:\d+$/);
    const answer = await request(address, { path: '/healthz', tls: ca });
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.equal({ status: 'serving', nodeId: 'main' });
    expect(answer.headers['x-content-type-options']).to.equal('nosniff');
  });

  it('refuses the API without credentials (401) and with an unknown token', async () => {
    const none = await request(address, { path: '/api/session', tls: ca });
    expect(none.status).to.equal(401);
    expect(none.json().error).to.equal('unauthenticated');
    expect(none.headers['www-authenticate']).to.match(/^Bearer/);
    const wrong = await request(address, {
      path: '/api/session',
      tls: ca,
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).to.equal(401);
    expect(wrong.json().message).to.match(/unknown or malformed bearer token/);
  });

  it('knows a caller by its client certificate', async () => {
    const answer = await request(address, { path: '/api/session', tls: await pki.tls('operator', 'olga') });
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.include({
      name: 'olga',
      role: 'operator',
      via: 'certificate',
      canRevoke: true,
    });
  });

  it('knows a caller by its bearer token', async () => {
    const answer = await request(address, {
      path: '/api/session',
      tls: ca,
      headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
    });
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.include({
      name: 'web-viewer',
      role: 'viewer',
      via: 'token',
      canRevoke: false,
    });
  });

  it('refuses a workstation the console (403 naming the roles needed)', async () => {
    const answer = await request(address, {
      path: '/api/licences',
      tls: await pki.tls('workstation', 'ws-1'),
    });
    expect(answer.status).to.equal(403);
    expect(answer.json()).to.deep.include({
      error: 'permission_denied',
      rolesNeeded: ['viewer', 'operator', 'admin'],
    });
  });

  it('refuses a viewer a revoke (403 naming operator) and lets an operator through to the ledger', async () => {
    const post = (token: string) =>
      request(address, {
        method: 'POST',
        path: '/api/leases/no-such-lease/revoke',
        tls: ca,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'test' }),
      });
    const viewer = await post(VIEWER_TOKEN);
    expect(viewer.status).to.equal(403);
    expect(viewer.json().rolesNeeded).to.deep.equal(['operator', 'admin']);
    expect(viewer.json().message).to.match(
      /needs the role operator or admin; web-viewer has the role viewer/,
    );
    const operator = await post(OPERATOR_TOKEN);
    expect(operator.status).to.equal(404);
    expect(operator.json()).to.deep.include({ error: 'not_found', field: 'lease_id' });
  });

  it('serves a usage report (GetReport) to a viewer on /api/report, and to nobody without credentials', async () => {
    const hourMs = 3_600_000;
    const toMs = (Math.floor(Date.now() / hourMs) + 1) * hourMs;
    const fromMs = toMs - 24 * hourMs;
    const path = `/api/report?kind=leases&fromMs=${fromMs}&toMs=${toMs}&by=hour`;
    const viewer = await request(address, {
      path,
      tls: ca,
      headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
    });
    expect(viewer.status).to.equal(200);
    const report = viewer.json();
    expect(report).to.deep.include({
      nodeId: 'main',
      kind: 'leases',
      fromMs,
      toMs,
      by: 'hour',
      truncated: false,
    });
    expect(report.rows).to.be.an('array');
    expect(report.licences).to.be.an('array');
    expect(report.incomplete).to.be.an('array');
    expect(report.asOfIndex).to.be.a('number').and.to.be.above(0);
    // A range older than reports.retentionDays is reported incomplete.
    const old = await request(address, {
      path: `/api/report?kind=usage&fromMs=0&toMs=${hourMs}`,
      tls: ca,
      headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
    });
    expect(old.status).to.equal(200);
    expect(old.json().incomplete).to.deep.equal([{ fromMs: 0, toMs: hourMs, reason: 'retention' }]);
    const none = await request(address, { path, tls: ca });
    expect(none.status).to.equal(401);
    expect(none.json().error).to.equal('unauthenticated');
    const workstation = await request(address, { path, tls: await pki.tls('workstation', 'ws-1') });
    expect(workstation.status).to.equal(403);
  });

  it('refuses bad /api/report parameters with 400 naming the parameter', async () => {
    const hourMs = 3_600_000;
    const toMs = (Math.floor(Date.now() / hourMs) + 1) * hourMs;
    const fromMs = toMs - 24 * hourMs;
    const ask = async (query: string) => {
      const answer = await request(address, {
        path: `/api/report?${query}`,
        tls: ca,
        headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
      });
      expect(answer.status, query).to.equal(400);
      expect(answer.json().error, query).to.equal('invalid_argument');
      return { field: answer.json().field, message: String(answer.json().message) };
    };
    const range = `fromMs=${fromMs}&toMs=${toMs}`;
    expect(await ask(range)).to.deep.include({ field: 'kind' });
    expect((await ask(`kind=seats&${range}`)).message).to.equal('kind: must be one of usage, leases');
    expect(await ask(`kind=usage&toMs=${toMs}`)).to.deep.include({ field: 'fromMs' });
    expect(await ask(`kind=usage&fromMs=yesterday&toMs=${toMs}`)).to.deep.include({ field: 'fromMs' });
    const offHour = await ask(`kind=usage&fromMs=${fromMs + 60_000}&toMs=${toMs}`);
    expect(offHour).to.deep.equal({
      field: 'fromMs',
      message: 'fromMs: must be on a whole UTC hour: the index keeps hourly figures',
    });
    expect(await ask(`kind=usage&fromMs=${toMs}&toMs=${fromMs}`)).to.deep.include({ field: 'toMs' });
    expect(await ask(`kind=usage&${range}&by=year`)).to.deep.include({ field: 'by' });
    expect(await ask(`kind=usage&${range}&licenceId=${encodeURIComponent('no spaces')}`)).to.deep.include({
      field: 'licenceId',
    });
    expect(await ask(`kind=usage&${range}&limit=0`)).to.deep.include({ field: 'limit' });
    // Past reports.maxRows: refused by GetReport itself, under the same name.
    expect(await ask(`kind=usage&${range}&limit=999999`)).to.deep.include({ field: 'limit' });
    expect(await ask(`kind=usage&${range}&from=1`)).to.deep.include({ field: 'from' });
    expect(await ask(`kind=usage&kind=leases&${range}`)).to.deep.include({ field: 'kind' });
  });

  it('answers 404 for an unknown path and 405 for a wrong method', async () => {
    const unknown = await request(address, { path: '/api/nothing', tls: ca });
    expect(unknown.status).to.equal(404);
    expect(unknown.json().error).to.equal('not_found');
    const wrong = await request(address, {
      method: 'POST',
      path: '/api/licences',
      tls: ca,
      headers: { 'content-type': 'application/json' },
    });
    expect(wrong.status).to.equal(405);
    expect(wrong.headers.allow).to.equal('GET');
  });

  it('refuses a body that is too large, not JSON, or posted from another origin', async () => {
    const headers = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
    const large = await request(address, {
      method: 'POST',
      path: '/api/leases/x/revoke',
      tls: ca,
      headers,
      body: JSON.stringify({ reason: 'x'.repeat(70 * 1024) }),
    });
    expect(large.status).to.equal(413);
    const form = await request(address, {
      method: 'POST',
      path: '/api/leases/x/revoke',
      tls: ca,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=x',
    });
    expect(form.status).to.equal(415);
    const elsewhere = await request(address, {
      method: 'POST',
      path: '/api/leases/x/revoke',
      tls: ca,
      headers: { ...headers, origin: 'https://evil.example' },
      body: '{}',
    });
    expect(elsewhere.status).to.equal(403);
    expect(elsewhere.json().error).to.equal('cross_origin');
    const broken = await request(address, {
      method: 'POST',
      path: '/api/leases/x/revoke',
      tls: ca,
      headers,
      body: '{',
    });
    expect(broken.status).to.equal(400);
    expect(broken.json().error).to.equal('invalid_json');
  });

  it('serves the node’s Prometheus metrics on /metrics to a viewer, and to nobody without credentials', async () => {
    const viewer = await request(address, {
      path: '/metrics',
      tls: ca,
      headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
    });
    expect(viewer.status).to.equal(200);
    expect(viewer.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(viewer.body).to.match(/^tandem_build_info\{[^}]*node="main"/m);
    expect(viewer.body).to.match(/^# TYPE tandem_rpc_duration_seconds histogram$/m);
    expect((await request(address, { path: '/metrics', tls: ca })).status).to.equal(401);
  });

  it('streams status events to a viewer', async () => {
    const [host, port] = address.split(':');
    const first = await new Promise<string>((resolve, reject) => {
      const outgoing = https.request(
        {
          host,
          port: Number(port),
          path: '/api/events',
          headers: { authorization: `Bearer ${VIEWER_TOKEN}` },
          ca: readFileSync(ca.ca),
          checkServerIdentity: () => undefined,
          agent: false,
        },
        (response) => {
          expect(response.headers['content-type']).to.match(/^text\/event-stream/);
          let text = '';
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            if (text.includes('event: status\ndata: ') && text.endsWith('\n\n')) {
              outgoing.destroy();
              resolve(text);
            }
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    const data = JSON.parse(first.slice(first.indexOf('data: ') + 6).trim()) as {
      nodeId: string;
      cluster: { leaderId: string };
    };
    expect(data.nodeId).to.equal('main');
    expect(data.cluster.leaderId).to.equal('main');
  });

  it('takes the rotated certificate on reload, as the gRPC listeners do', async () => {
    const served = () =>
      new Promise<string>((resolve, reject) => {
        const [host, port] = address.split(':');
        const outgoing = https.request(
          {
            host,
            port: Number(port),
            path: '/healthz',
            ca: readFileSync(ca.ca),
            checkServerIdentity: () => undefined,
            agent: false,
          },
          (response) => {
            const socket = response.socket as TLSSocket;
            resolve(socket.getPeerCertificate().fingerprint256);
            response.resume();
          },
        );
        outgoing.on('error', reject);
        outgoing.end();
      });
    const before = await served();
    const rotated = await pki.rotate('node', 'main');
    node.reload(null);
    const expected = new X509Certificate(readFileSync(rotated.cert)).fingerprint256;
    expect(expected).to.not.equal(before);
    const deadline = Date.now() + 5000;
    let now = await served();
    while (now !== expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      now = await served();
    }
    expect(now).to.equal(expected);
  });

  it('serves plaintext with every caller an admin on an insecure node, and is off without httpListen', async () => {
    const insecure = await Tandemd.start(
      parseConfig({
        insecure: true,
        node: {
          id: 'solo',
          listen: '127.0.0.1:0',
          httpListen: '127.0.0.1:0',
          dataDir: path.join(directory, 'solo'),
        },
        licensing: licensingConfig(),
        log: { level: 'error' },
      }),
      createLogger('error', 'solo'),
    );
    try {
      const answer = await request(insecure.httpAddress as string, { path: '/api/session', secure: false });
      expect(answer.status).to.equal(200);
      expect(answer.json()).to.deep.include({ role: 'admin', via: 'insecure' });
      // Insecure: every caller is an admin, so the metrics are open too (plaintext, said at start).
      expect(
        (await request(insecure.httpAddress as string, { path: '/metrics', secure: false })).status,
      ).to.equal(200);
    } finally {
      await insecure.stop();
    }
    const without = await Tandemd.start(
      parseConfig({
        insecure: true,
        node: { id: 'quiet', listen: '127.0.0.1:0', dataDir: path.join(directory, 'quiet') },
        licensing: licensingConfig(),
        log: { level: 'error' },
      }),
      createLogger('error', 'quiet'),
    );
    expect(without.httpAddress).to.equal(null);
    await without.stop();
  });
});

// The packaging files, checked where no container daemon or hadolint runs: the Dockerfile's key
// properties, compose.yaml and deploy/kubernetes.yaml parse into the documented topology, every
// PORTCULLIS_* variable they set names a real config field, and the image's HEALTHCHECK command works.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Kind, type TSchema } from '@sinclair/typebox';
import { parse, parseAllDocuments } from 'yaml';
import { envName, loadConfig } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';

const read = (path: string) => readFileSync(path, 'utf8');
const dockerfile = read('Dockerfile');
const compose = parse(read('compose.yaml'), { merge: true }) as {
  services: Record<
    string,
    { image?: string; build?: string; environment?: Record<string, string>; secrets?: string[]; entrypoint?: string[]; volumes?: string[]; ports?: string[] }
  >;
  secrets: Record<string, { file: string }>;
};
const kubernetes = parseAllDocuments(read('deploy/kubernetes.yaml')).map((d) => d.toJS()) as Array<Record<string, any>>;

/** Every variable loadConfig reads for a config field. */
function knownVariables(schema: TSchema = ConfigSchema, path: string[] = []): string[] {
  return Object.entries((schema.properties ?? {}) as Record<string, TSchema>).flatMap(([name, child]) =>
    child[Kind] === 'Object' && child.properties ? knownVariables(child, [...path, name]) : [envName([...path, name])],
  );
}

/** Dockerfile instructions (continuation lines joined), with the stage each belongs to. */
function instructions(): Array<{ stage: number; op: string; args: string }> {
  let stage = -1;
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => {
      const [, op, args] = /^\s*(\w+)\s+(.*)$/.exec(line)!;
      if (op!.toUpperCase() === 'FROM') stage++;
      return { stage, op: op!.toUpperCase(), args: args!.trim() };
    });
}

describe('Dockerfile', () => {
  const all = instructions();
  const last = Math.max(...all.map((i) => i.stage));
  const final = all.filter((i) => i.stage === last);

  test('is multi-stage on a pinned node:20 base, never latest', () => {
    const froms = all.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]!);
    assert.ok(froms.length >= 2, 'at least a build and a runtime stage');
    for (const image of froms) {
      assert.match(image, /^node:20(\.[0-9.]+)?-[a-z-]+$/, image);
      assert.doesNotMatch(image, /latest/);
    }
    assert.ok(
      final.some((i) => i.op === 'COPY' && i.args.includes('--from=build')),
      'the runtime copies from the build stage',
    );
    // The toolchain for better-sqlite3 is in the build stage only.
    assert.match(
      all
        .filter((i) => i.stage === 0 && i.op === 'RUN')
        .map((i) => i.args)
        .join(' '),
      /python3.*make.*g\+\+/,
    );
    assert.doesNotMatch(final.map((i) => i.args).join(' '), /g\+\+|python3/);
  });

  test('runs as a non-root user, with a health check, a data volume, both ports and SIGTERM', () => {
    const users = final.filter((i) => i.op === 'USER').map((i) => i.args);
    assert.ok(users.length > 0);
    assert.doesNotMatch(users.at(-1)!, /^(root|0)(:|$)/);
    assert.match(final.find((i) => i.op === 'HEALTHCHECK')?.args ?? '', /\/healthz/);
    assert.match(final.find((i) => i.op === 'VOLUME')?.args ?? '', /\/var\/lib\/portcullis/);
    assert.deepEqual(
      final
        .find((i) => i.op === 'EXPOSE')
        ?.args.split(/\s+/)
        .sort(),
      ['8080', '8081'],
    );
    assert.equal(final.find((i) => i.op === 'STOPSIGNAL')?.args, 'SIGTERM');
    assert.match(final.find((i) => i.op === 'ENV')?.args ?? '', /PORTCULLIS_STORE=sqlite:\/var\/lib\/portcullis\//);
  });

  test('copies only files that exist and .dockerignore lets through', () => {
    const allowed = read('.dockerignore')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/\*\*$/, ''));
    for (const copy of all.filter((i) => i.op === 'COPY' && !i.args.includes('--from='))) {
      const sources = copy.args
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        assert.ok(existsSync(source), `${source} exists`);
        assert.ok(allowed.includes(source), `${source} is in the build context`);
      }
    }
  });

  test('its HEALTHCHECK command exits 0 on a healthy admin listener and 1 otherwise', async () => {
    const check = /\bCMD (\[.*\])$/.exec(all.find((i) => i.op === 'HEALTHCHECK')!.args)![1]!;
    const [command, ...args] = JSON.parse(check) as string[];
    assert.equal(command, 'node');
    let healthy = true;
    const admin = createServer((request, response) => {
      response.statusCode = request.url === '/healthz' && healthy ? 200 : 503;
      response.end();
    });
    await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
    const env = { ...process.env, PORTCULLIS_ADMIN_PORT: String((admin.address() as AddressInfo).port) };
    const exitCode = () =>
      promisify(execFile)(process.execPath, args, { env, timeout: 10_000 }).then(
        () => 0,
        (error: { code?: number }) => error.code,
      );
    try {
      assert.equal(await exitCode(), 0);
      healthy = false;
      assert.equal(await exitCode(), 1);
    } finally {
      admin.close();
    }
  });
});

describe('compose.yaml and deploy/', () => {
  // The config's, the config file's, and the two the CLI's --url mode reads (src/cli/transport.ts).
  const variables = new Set([...knownVariables(), 'PORTCULLIS_CONFIG', 'PORTCULLIS_URL', 'PORTCULLIS_ADMIN_KEY']);

  test('three Portcullis nodes of one image on PostgreSQL and Redis, with a shared master key, behind a load balancer', () => {
    const nodes = Object.entries(compose.services).filter(([, service]) => service.image === 'portcullis:local');
    assert.deepEqual(nodes.map(([name]) => name).sort(), ['portcullis1', 'portcullis2', 'portcullis3']);
    for (const [, node] of nodes) {
      assert.ok(node.secrets?.includes('master_key'));
      assert.match(node.entrypoint!.join(' '), /PORTCULLIS_OAUTH_MASTER_KEY="\$\$\(cat \/run\/secrets\/master_key\)"/);
      assert.match(node.entrypoint!.join(' '), /PORTCULLIS_STORE="postgres:\/\/[^"]*@postgres:5432\//);
      assert.equal(node.environment?.PORTCULLIS_REDIS, 'redis://redis:6379');
    }
    assert.match(compose.services.postgres!.image!, /^postgres:\d+/);
    assert.match(compose.services.redis!.image!, /^redis:\d+/);
    assert.ok(compose.secrets.master_key!.file.startsWith('./deploy/secrets/'));
    // Only the balancer's gateway port is published to the network; node 1's admin API to the host's loopback.
    const published = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => `${name} ${port}`));
    assert.deepEqual(published.sort(), ['lb 8080:8080', 'portcullis1 127.0.0.1:8081:8081']);
    assert.match(read('.gitignore'), /^deploy\/secrets\/$/m);
    // nginx balances over the three gateway listeners, from the config file the compose mounts.
    assert.ok(compose.services.lb!.volumes!.includes('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro'));
    const upstreams = [...read('deploy/nginx.conf').matchAll(/^\s*server (portcullis\d):8080\b/gm)].map((m) => m[1]);
    assert.deepEqual(upstreams, ['portcullis1', 'portcullis2', 'portcullis3']);
  });

  test('the Kubernetes example: 3 replicas probed on /healthz and /readyz, a Service, a PodDisruptionBudget, the master key from a Secret', () => {
    const of = (kind: string) => kubernetes.find((d) => d.kind === kind)!;
    const deployment = of('Deployment');
    assert.equal(deployment.spec.replicas, 3);
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    const master = container.env.find((e: { name: string }) => e.name === 'PORTCULLIS_OAUTH_MASTER_KEY');
    assert.equal(master.valueFrom.secretKeyRef.name, 'portcullis');
    const labels = deployment.spec.template.metadata.labels;
    // The Service exposes the gateway only; the admin listener stays inside the pod network.
    assert.deepEqual(
      of('Service').spec.ports.map((p: { targetPort: string }) => p.targetPort),
      ['gateway'],
    );
    assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
    for (const selecting of [of('Service').spec.selector, of('PodDisruptionBudget').spec.selector.matchLabels]) assert.deepEqual(selecting, labels);
    assert.ok(of('PodDisruptionBudget').spec.minAvailable < deployment.spec.replicas);
  });

  test('every PORTCULLIS_* variable the packaging sets is one Portcullis reads', () => {
    const files = ['Dockerfile', 'compose.yaml', 'deploy/kubernetes.yaml', 'deploy/portcullis.service', 'scripts/cluster-local.sh'];
    for (const file of files) {
      const set = [...read(file).matchAll(/\b(PORTCULLIS_[A-Z0-9_]+)(?=[=:"]|\s*$|\s*\n| \})/gm)].map((m) => m[1]!);
      assert.ok(set.length > 0, file);
      for (const variable of set) assert.ok(variables.has(variable), `${file}: ${variable} is not a config variable`);
    }
  });

  test('the config files shipped in deploy/ load as production configs (no demo)', () => {
    const env = { PORTCULLIS_STORE: 'postgres://portcullis@postgres:5432/portcullis', PORTCULLIS_OAUTH_MASTER_KEY: 'a'.repeat(43) };
    for (const path of ['deploy/portcullis.yaml', 'deploy/compose.portcullis.yaml']) {
      const loaded = loadConfig({ path, env });
      assert.equal(loaded.demo, false);
      assert.equal(loaded.config.store, env.PORTCULLIS_STORE);
    }
    const k8s = kubernetes.find((d) => d.kind === 'ConfigMap')!.data['portcullis.yaml'] as string;
    assert.equal((parse(k8s) as { apis: unknown[] }).apis.length, 1);
  });
});

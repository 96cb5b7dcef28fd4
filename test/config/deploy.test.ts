// The deployment files in deploy/ against the code they run: every config they ship loads,
// every command they start is one the CLI accepts, the topology is two syncers and three
// gateways on Redis, readiness is /readyz, and every published port is one the config listens
// on. The gateway start itself is exercised by the scale-out tests with the same arguments.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig, type Config } from '../../src/config/load.js';
import { parseHostPort } from '../../src/config/units.js';

const deploy = (p: string) => fileURLToPath(new URL(`../../deploy/${p}`, import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** What `sluice ARGS` says about its arguments, run for real with a config that cannot start. */
function cliAccepts(args: string[]): { ok: boolean; stderr: string } {
  // --config points at a file that does not exist: the run stops right after the arguments
  // are read, with a config error (status 2) when they were accepted, a usage error otherwise.
  const probe = args.map((a, i) => (args[i - 1] === '--config' ? '/nonexistent/sluice.yaml' : a));
  try {
    execFileSync(process.execPath, [CLI, ...probe], { stdio: 'pipe', timeout: 10_000 });
    return { ok: true, stderr: '' };
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    return { ok: /nonexistent\/sluice\.yaml/.test(stderr) && !/usage|unknown/i.test(stderr), stderr };
  }
}

function roleOf(args: string[]): string {
  const i = args.indexOf('--role');
  return i >= 0 ? args[i + 1]! : 'all';
}

function listenPort(listen: string): number {
  return parseHostPort(listen)!.port;
}

t.test('the probe tells accepted arguments from refused ones', async (t) => {
  t.ok(cliAccepts(['serve', '--config', 'x.yaml', '--role', 'gateway']).ok, 'accepted');
  t.notOk(cliAccepts(['serve', '--config', 'x.yaml', '--role', 'leader']).ok, 'an unknown role is refused');
  t.notOk(cliAccepts(['serve', '--config', 'x.yaml', '--rol', 'gateway']).ok, 'an unknown flag is refused');
});

t.test('compose: Redis, two syncers, three gateways', async (t) => {
  // Compose files use YAML merge keys (<<: *gateway) for the repeated services.
  const compose = parse(readFileSync(deploy('compose/docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[]; ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] } }>;
  };
  const config: Config = parseConfig(readFileSync(deploy('compose/sluice.yaml'), 'utf8'), deploy('compose/sluice.yaml'));
  t.equal(config.store, 'redis', 'the shared config uses the Redis store');
  t.match(config.redis.url, /^redis:\/\/redis:6379\//, 'at the compose service named redis');
  t.ok(compose.services.redis, 'a Redis service');

  const sluice = Object.entries(compose.services).filter(([, s]) => s.image === 'sluice');
  const roles = sluice.map(([, s]) => roleOf(s.command!)).sort();
  t.same(roles, ['gateway', 'gateway', 'gateway', 'syncer', 'syncer'], 'two syncers and three gateways');
  for (const [name, service] of sluice) {
    const accepted = cliAccepts(service.command!);
    t.ok(accepted.ok, `${name}: the CLI accepts ${service.command!.join(' ')}${accepted.ok ? '' : `: ${accepted.stderr}`}`);
    t.ok(service.volumes!.some((v) => v.includes(':/etc/sluice/sluice.yaml')), `${name}: the config is mounted where the command reads it`);
  }

  const dns = listenPort(config.dns.listen[0]!);
  const http = listenPort(config.http.listen);
  for (const [name, service] of sluice.filter(([, s]) => roleOf(s.command!) === 'gateway')) {
    const inside = service.ports!.map((p) => p.split(':').at(-1)!);
    t.same(inside.sort(), [`${dns}/tcp`, `${dns}/udp`, String(http)].sort(), `${name}: publishes DNS over UDP and TCP and HTTP, the ports the config listens on`);
    t.match(service.healthcheck!.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${http}/readyz`), `${name}: healthy once /readyz says ready`);
  }
  t.ok(readFileSync(deploy('compose/local-blocklist.txt'), 'utf8').trim().length > 0, 'the mounted local list has entries');
});

t.test('kubernetes: ConfigMap, syncer and gateway Deployments, Service', async (t) => {
  const docs = parseAllDocuments(readFileSync(deploy('kubernetes/sluice.yaml'), 'utf8')).map((d) => d.toJS()) as Array<Record<string, any>>;
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const [configMap] = byKind('ConfigMap');
  const config = parseConfig(configMap!.data['sluice.yaml'], 'configmap:sluice.yaml');
  t.equal(config.store, 'redis', 'the ConfigMap config uses the Redis store');

  const deployments = byKind('Deployment');
  const container = (d: Record<string, any>) => d.spec.template.spec.containers[0];
  const byRole = Object.fromEntries(deployments.map((d) => [roleOf(container(d).args), d]));
  t.same(Object.keys(byRole).sort(), ['gateway', 'syncer'], 'a syncer Deployment and a gateway Deployment');
  t.ok(byRole.syncer.spec.replicas >= 2, 'syncers run as a leader and a standby');
  for (const d of deployments) {
    const accepted = cliAccepts(container(d).args);
    t.ok(accepted.ok, `${d.metadata.name}: the CLI accepts its args${accepted.ok ? '' : `: ${accepted.stderr}`}`);
    t.equal(d.spec.template.spec.volumes[0].configMap.name, configMap!.metadata.name, `${d.metadata.name}: mounts the ConfigMap`);
    t.equal(container(d).volumeMounts[0].mountPath, '/etc/sluice', 'where --config reads it');
  }

  const gateway = container(byRole.gateway);
  const portNamed = (name: string) => gateway.ports.find((p: { name: string }) => p.name === name);
  t.match(gateway.readinessProbe, { httpGet: { path: '/readyz', port: 'http' } }, 'gateways are ready on /readyz');
  t.equal(portNamed('http').containerPort, listenPort(config.http.listen), 'the http port is the one the config listens on');
  const dns = listenPort(config.dns.listen[0]!);
  t.same([portNamed('dns-udp').containerPort, portNamed('dns-udp').protocol], [dns, 'UDP'], 'DNS over UDP on the configured port');
  t.same([portNamed('dns-tcp').containerPort, portNamed('dns-tcp').protocol], [dns, 'TCP'], 'and over TCP');

  const [service] = byKind('Service');
  t.same(service!.spec.selector, byRole.gateway.spec.template.metadata.labels, 'the Service selects the gateways');
  const targets = service!.spec.ports.map((p: { targetPort: number; protocol: string }) => `${p.targetPort}/${p.protocol}`).sort();
  t.same(targets, [`${dns}/TCP`, `${dns}/UDP`, `${listenPort(config.http.listen)}/TCP`].sort(), 'and forwards DNS (UDP, TCP) and HTTP to them');
});

t.test('systemd: the unit starts a command the CLI accepts', async (t) => {
  const unit = readFileSync(deploy('systemd/sluice.service'), 'utf8');
  const exec = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(/\s+/);
  t.equal(exec[0], '/usr/bin/node', 'run by node');
  const args = exec.slice(2);
  t.ok(cliAccepts(args).ok, `the CLI accepts ${args.join(' ')}`);
  t.ok(cliAccepts([...args, '--role', 'gateway']).ok, 'and with --role gateway, as the comment suggests');
  t.match(unit, /^Restart=on-failure$/m, 'restarted after a failure');
});

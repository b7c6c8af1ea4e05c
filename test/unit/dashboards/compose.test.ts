import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readEnv, resolveServeConfig, parseListen } from '../../../src/config/index.js';
import { resolveProxyConfig } from '../../../src/config/proxy.js';
import { CLICKHOUSE_PLUGIN_ID, CLICKHOUSE_PLUGIN_VERSION, GRAFANA_DASHBOARDS_PATH, ProvisioningFiles } from '../../../src/dashboards/index.js';
import { main } from '../../../src/cli/main.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** The image runs dist/ (the Dockerfile's build stage): the source a dist/ path in compose is built from. */
function sourceOf(path: string): string {
  assert.ok(path.startsWith('dist/'), `${path}: the image runs the build in dist/`);
  return join(ROOT, path.slice('dist/'.length).replace(/\.js$/, '.ts'));
}
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** `${VAR:-default}` → default, as docker compose substitutes with nothing set. */
function withDefaults(env: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{(\w+):-([^}]*)\}/g, '$2')]));
}

/** Environment variables a stock process reads besides Warden's own (OTel SDK conventions). */
const OTEL_SDK_ENV = ['OTEL_EXPORTER_OTLP_HEADERS'];

test('compose: pinned images, files that exist, Grafana with the pinned plugin and the generated provisioning', () => {
  for (const [name, s] of Object.entries(services)) {
    if (s.build) {
      assert.ok(existsSync(join(ROOT, s.build.context, s.build.dockerfile)), `${name}: Dockerfile`);
      continue;
    }
    assert.match(s.image ?? '', /:\d+\.\d+/, `${name}: image pinned to a version`);
    assert.doesNotMatch(s.image ?? '', /:latest$/);
  }
  for (const [name, s] of Object.entries(services)) {
    for (const volume of s.volumes ?? []) {
      const source = volume.split(':')[0] as string;
      if (source.startsWith('./')) assert.ok(existsSync(join(ROOT, source)), `${name}: ${source} exists`);
    }
  }
  const grafana = services.grafana as Service;
  const env = withDefaults(grafana.environment);
  assert.equal(env.GF_PLUGINS_PREINSTALL_SYNC, `${CLICKHOUSE_PLUGIN_ID}@${CLICKHOUSE_PLUGIN_VERSION}`);
  assert.ok(grafana.volumes?.includes('./dashboards/provisioning:/etc/grafana/provisioning:ro'));
  assert.ok(grafana.volumes?.includes(`./dashboards:${GRAFANA_DASHBOARDS_PATH}:ro`));
  const provider = parse(read(`dashboards/${ProvisioningFiles.DASHBOARDS}`)).providers[0];
  assert.equal(provider.options.path, GRAFANA_DASHBOARDS_PATH);
  assert.ok(env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH?.startsWith(GRAFANA_DASHBOARDS_PATH));
  assert.ok(existsSync(join(ROOT, 'dashboards', (env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string).slice(GRAFANA_DASHBOARDS_PATH.length))));
  // Every ${VAR} the datasource file interpolates is set on the Grafana container.
  const wanted = [...read(`dashboards/${ProvisioningFiles.DATASOURCE}`).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string);
  assert.ok(wanted.length >= 3);
  for (const name of wanted) assert.ok(env[name], `grafana sets ${name}`);
  assert.equal(env.WARDEN_CLICKHOUSE_HOST, 'clickhouse');
  // Grafana's ClickHouse user and its password exist on the ClickHouse side.
  const users = read('examples/compose/clickhouse/users.d/warden.xml');
  assert.match(users, new RegExp(`<${env.WARDEN_GRAFANA_CLICKHOUSE_USER}>`));
  const chEnv = withDefaults(services.clickhouse?.environment);
  assert.equal(chEnv.GRAFANA_CLICKHOUSE_PASSWORD, env.WARDEN_GRAFANA_CLICKHOUSE_PASSWORD);
});

test('compose: warden serve\'s command and env resolve to a valid config bound off loopback with a token', () => {
  const warden = services.warden as Service;
  const command = warden.command ?? [];
  assert.equal(command[0], 'serve');
  const listen = command[command.indexOf('--listen') + 1] as string;
  const env = readEnv(withDefaults(warden.environment));
  const config = resolveServeConfig({ listen }, env);
  assert.equal(config.host, '0.0.0.0');
  assert.ok(config.apiToken, 'a token is required off loopback');
  assert.equal(config.store.kind, 'server');
  assert.ok(warden.ports?.some((p) => p.endsWith(`:${config.port}`)), 'the listen port is published');
  // The store URL points at the clickhouse service's HTTP port, with the user ClickHouse defines.
  assert.ok(config.store.kind === 'server' && new URL(config.store.url).hostname === 'clickhouse');
  assert.ok(services.clickhouse?.ports?.some((p) => config.store.kind === 'server' && p.endsWith(`:${new URL(config.store.url).port}`)));
  const chEnv = withDefaults(services.clickhouse?.environment);
  assert.ok(config.store.kind === 'server' && config.store.password === chEnv.WARDEN_CLICKHOUSE_PASSWORD);
  // Every variable a Warden container sets is one Warden reads (or a standard OTel SDK one).
  for (const [name, s] of Object.entries(services)) {
    if (!s.build) continue;
    for (const key of Object.keys(s.environment ?? {})) {
      assert.ok(key in readEnv({ [key]: 'x' }) || OTEL_SDK_ENV.includes(key), `${name}: ${key} is not read by Warden`);
    }
  }
  assert.equal(services['warden-migrate']?.command?.[0], 'migrate');
  assert.equal(warden.depends_on?.['warden-migrate']?.condition, 'service_completed_successfully');
});

test('compose: example agents run the proxy with the example policy and export to warden serve (or the Collector)', async () => {
  const warden = services.warden as Service;
  const { port } = parseListen(warden.command?.[warden.command.indexOf('--listen') + 1] as string);
  const agents = Object.entries(services).filter(([, s]) => s.entrypoint?.includes('dist/examples/agents/run-agent.js'));
  assert.ok(agents.length >= 2);
  for (const [name, s] of agents) {
    assert.ok(existsSync(sourceOf(s.entrypoint?.at(-1) as string)), `${name}: agent script`);
    const command = s.command ?? [];
    const proxyAt = command.indexOf('proxy');
    assert.ok(proxyAt > 0, `${name}: goes through warden proxy`);
    const proxyArgs = command.slice(proxyAt + 1);
    const dashdash = proxyArgs.indexOf('--');
    const flags = proxyArgs.slice(0, dashdash);
    const policy = flags[flags.indexOf('--policy') + 1] as string;
    assert.ok(existsSync(sourceOf(policy)), `${name}: ${policy}`);
    const server = proxyArgs.slice(dashdash + 1);
    assert.ok(existsSync(sourceOf(server.at(-1) as string)), `${name}: example MCP server`);
    assert.equal(command[proxyAt - 1], 'dist/src/cli/bin.js', `${name}: the built warden`);
    const config = resolveProxyConfig({ agent: flags[flags.indexOf('--agent') + 1] as string }, server, readEnv(withDefaults(s.environment)));
    const target = new URL(config.otlpTracesUrl);
    if (s.profiles?.includes('collector')) {
      assert.equal(target.hostname, 'otel-collector');
    } else {
      assert.equal(`${target.hostname}:${target.port}`, `warden:${port}`, `${name}: exports to warden serve`);
      // The proxies share their rate limits through the compose Redis.
      assert.equal(config.limits && new URL(config.limits.url).hostname, 'redis', `${name}: --limits`);
      assert.ok(services.redis?.image?.startsWith('redis:'), 'a redis service');
    }
  }
  assert.equal(await main(['policy', 'check', join(ROOT, 'examples/compose/policy.json')]), 0);
});

test('compose: the optional Collector writes the same otel_traces table without creating schema', () => {
  const collector = services['otel-collector'] as Service;
  assert.deepEqual(collector.profiles, ['collector']);
  const mount = collector.volumes?.[0]?.split(':') ?? [];
  assert.equal(collector.command?.[0], `--config=${mount[1]}`);
  const config = parse(read((mount[0] as string).slice(2)));
  const exporter = config.exporters.clickhouse;
  assert.equal(exporter.create_schema, false);
  assert.equal(exporter.database, 'warden');
  assert.equal(exporter.traces_table_name, 'otel_traces');
  assert.equal(new URL(exporter.endpoint).hostname, 'clickhouse');
  assert.deepEqual(config.service.pipelines.traces.exporters, ['clickhouse']);
  const password = /\$\{env:(\w+)\}/.exec(exporter.password)?.[1] as string;
  assert.ok(collector.environment?.[password], 'the exporter password variable is set');
});

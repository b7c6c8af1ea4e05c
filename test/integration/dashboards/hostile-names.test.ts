/**
 * Names are hostile data (design "Trust rules" 3): every panel of the agent drill-down and the
 * rollout dashboard, run as Grafana would run it for an agent (or tool) named with quotes,
 * backslashes, `--`, newlines, NUL, invalid UTF-8, unicode or the variable syntax itself, must
 * return exactly what it returns on a store holding only that agent's rows. A widened WHERE
 * (the `singlequote` escape leaves `\`) or a mis-decoded name shows up as a difference.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tables, type StoreDriver } from '../../../src/storage/index.js';
import { Attr } from '../../../src/telemetry/semconv.js';
import { generateArtifacts } from '../../../src/dashboards/index.js';
import { DEFAULT_ALERT_RULES } from '../../../src/alerts/parse.js';
import {
  ALL_VALUE, dashboardQueries, expandBackendMacros, interpolateFrontend, variableQueries, type VariableStates,
} from '../../helpers/grafana/index.js';
import { openTestStore } from '../../helpers/store.js';

/** A name as bytes: most are text, one is not valid UTF-8. */
type Name = Buffer;
const text = (s: string): Name => Buffer.from(s, 'utf8');

const HOSTILE_AGENTS: Name[] = [
  text("!x\\') OR 1=1 --"),
  text("a'b"), text('a\\'), text("x\\'"), text('-- comment'), text('line\nbreak'), text('nul\u0000byte'),
  text('ünïcødé 🚀 エージェント'), text('a,b'), text('{a}'), text('%41'), text('a+b c'), text('${agent}'), text('$__all'),
  Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x27]), // "bad" + invalid UTF-8 + a quote
];
/** Decoys a widened or mis-decoded filter would pick up ("%41" → "A", "a,b" → "a" and "b", …). */
const DECOYS: Name[] = ['A', 'a', 'b', 'x', 'alice', '!x'].map(text);
const HOSTILE_TOOLS: Name[] = [text("t'), ('x"), text('t\\'), text('t,u'), text('t\n--'), text('ツール')];
const PLAIN_TOOLS: Name[] = [text('session_start'), text('session_close'), text('load_context')];
const HOSTILE_UPSTREAM = text("up'\\stream");

const BASE_MS = Date.UTC(2026, 10, 25, 10);
const RANGE = { from: new Date(BASE_MS - 48 * 3_600_000), to: new Date(BASE_MS + 3_600_000), intervalMs: 60_000 };

let full: StoreDriver;
let alone: StoreDriver;
let callsPerAgent = 0;

/** One tools/call span as the OTel ClickHouse layout holds it, as an NDJSON line with raw name bytes. */
function spanLine(agent: Name, tool: Name, i: number, n: number): Buffer {
  const decision = i % 5 === 4 ? 'rate_limited' : 'allow';
  const attrs: Record<string, string | Name> = {
    [Attr.MCP_METHOD_NAME]: 'tools/call', [Attr.GEN_AI_TOOL_NAME]: tool, [Attr.GEN_AI_AGENT_ID]: agent,
    [Attr.MCP_SESSION_ID]: `s-${n}-${i % 3}`, [Attr.DECISION]: decision, [Attr.ENFORCED]: String(decision === 'allow'),
    [Attr.MODE]: 'audit', [Attr.POLICY_HASH]: 'c'.repeat(64), [Attr.TOOL_RISK]: 'write', [Attr.UPSTREAM]: HOSTILE_UPSTREAM,
    [Attr.ARGS_HASH]: 'd'.repeat(64), [Attr.ARGS_BYTES]: '10',
  };
  if (decision !== 'allow') Object.assign(attrs, { [Attr.RULE]: 'tools.x.limits[0]', [Attr.REASON]: 'limit reached' });
  const hex = (v: number, width: number) => v.toString(16).padStart(width, '0');
  // JSON with the names' bytes spliced raw: ClickHouse stores string bytes as given.
  const str = (v: string | Name) => (typeof v === 'string' ? Buffer.from(JSON.stringify(v)) : jsonBytes(v));
  const parts: Buffer[] = [Buffer.from(JSON.stringify({
    Timestamp: `${BASE_MS - (n * 40 + i) * 61_000}000000`, TraceId: hex(n * 1000 + i + 1, 32), SpanId: hex(n * 1000 + i + 1, 16),
    SpanName: 'tools/call', SpanKind: 'Server', ServiceName: 'warden-proxy', Duration: 1_000_000 + i, StatusCode: 'Unset',
  }).slice(0, -1) + ',"SpanAttributes":{')];
  Object.entries(attrs).forEach(([k, v], j) => parts.push(Buffer.from(`${j ? ',' : ''}${JSON.stringify(k)}:`), str(v)));
  parts.push(Buffer.from('}}\n'));
  return Buffer.concat(parts);
}

/** A JSON string of raw bytes: only `"`, `\` and control bytes are escaped, everything else stays as is. */
function jsonBytes(bytes: Name): Buffer {
  const out: number[] = [0x22];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b < 0x20) out.push(...Buffer.from(`\\u${b.toString(16).padStart(4, '0')}`));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}

function agentSpans(agent: Name, n: number): Buffer {
  const tools = [...PLAIN_TOOLS, ...HOSTILE_TOOLS];
  return Buffer.concat(tools.map((tool, i) => spanLine(agent, tool, i, n)));
}

async function resetTables(store: StoreDriver): Promise<void> {
  for (const table of [Tables.OTEL_TRACES, Tables.TOOL_CALLS, Tables.TOOL_CALLS_1M, Tables.OTEL_TRACES_TRACE_ID_TS]) {
    await store.command(`TRUNCATE TABLE ${store.database}.${table}`);
  }
}

before(async () => {
  full = await openTestStore();
  alone = await openTestStore();
  const all = [...HOSTILE_AGENTS, ...DECOYS];
  await full.insertJsonEachRow(Tables.OTEL_TRACES, Buffer.concat(all.map((a, n) => agentSpans(a, n))));
  callsPerAgent = PLAIN_TOOLS.length + HOSTILE_TOOLS.length;
});

after(async () => {
  await full.close();
  await alone.close();
});

const render = (rawSql: string, vars: VariableStates) => expandBackendMacros(interpolateFrontend(rawSql, vars), RANGE);

function board(store: StoreDriver, file: string): object {
  const artifacts = generateArtifacts({ database: store.database, alertRules: DEFAULT_ALERT_RULES });
  return JSON.parse(artifacts.get(file) as string) as object;
}

/** A variable's options, each with the hex of the name it decodes to (decoded by ClickHouse, as panels do). */
async function options(store: StoreDriver, file: string, name: string, vars: VariableStates): Promise<Map<string, string>> {
  const v = variableQueries(board(store, file)).find((q) => q.name === name);
  assert.ok(v, `${file}: variable ${name}`);
  const values = (await store.query<Record<string, string>>(render(v.rawSql, vars))).map((r) => Object.values(r)[0] as string);
  const decoded = await store.query<{ h: string }>('SELECT hex(decodeURLComponent(arrayJoin({o:Array(String)}))) AS h', { params: { o: values } });
  return new Map(values.map((o, i) => [decoded[i]?.h ?? '', o]));
}

function optionFor(opts: Map<string, string>, name: Name): string {
  const o = opts.get(name.toString('hex').toUpperCase());
  assert.ok(o !== undefined, `no option decodes to ${JSON.stringify(name.toString('latin1'))}`);
  return o;
}

/** Every panel's rows, order-independent, keyed by panel/refId. */
async function panels(store: StoreDriver, file: string, vars: VariableStates): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const q of dashboardQueries(board(store, file))) {
    const rows = await store.query(render(q.rawSql, vars));
    out[`${q.panel}/${q.refId}`] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

async function aloneWith(agents: readonly Name[]): Promise<void> {
  await resetTables(alone);
  const indexOf = (a: Name) => [...HOSTILE_AGENTS, ...DECOYS].findIndex((b) => b.equals(a));
  if (agents.length) await alone.insertJsonEachRow(Tables.OTEL_TRACES, Buffer.concat(agents.map((a) => agentSpans(a, indexOf(a)))));
}

test('every agent name decodes back to its exact bytes from its variable option', async () => {
  const opts = await options(full, 'agent.json', 'agent', {});
  assert.equal(opts.size, HOSTILE_AGENTS.length + DECOYS.length);
  for (const a of [...HOSTILE_AGENTS, ...DECOYS]) optionFor(opts, a);
  // Options are plain text or URL-encoded: none can end a quote or split a list.
  for (const o of opts.values()) {
    assert.ok(/^[A-Za-z0-9._~%-]*$/.test(o) || !/[%,{}$\u0000-\u001f\u007f]/.test(o), `option ${JSON.stringify(o)}`);
  }
});

test('agent drill-down: each hostile agent sees exactly its own rows, tool = All and hostile tools selected', async () => {
  const agentOpts = await options(full, 'agent.json', 'agent', {});
  for (const agent of HOSTILE_AGENTS) {
    const vars: VariableStates = { agent: { value: optionFor(agentOpts, agent) } };
    const toolOpts = await options(full, 'agent.json', 'tool', vars);
    assert.equal(toolOpts.size, callsPerAgent, 'the tool variable lists that agent\'s tools only');
    const upstreamOpts = await options(full, 'agent.json', 'upstream', vars);
    vars.upstream = { value: [optionFor(upstreamOpts, HOSTILE_UPSTREAM)], options: [...upstreamOpts.values()] };
    for (const tools of [[ALL_VALUE], HOSTILE_TOOLS.slice(0, 3).map((t) => optionFor(toolOpts, t))]) {
      vars.tool = { value: tools, options: [...toolOpts.values()] };
      const got = await panels(full, 'agent.json', vars);
      await aloneWith([agent]);
      const want = await panels(alone, 'agent.json', vars);
      const label = JSON.stringify(agent.toString('latin1'));
      assert.deepEqual(got, want, `agent ${label}, tools ${tools.join(' ')}: panels differ from a store with only that agent`);
      const expected = tools[0] === ALL_VALUE ? callsPerAgent : 3;
      assert.deepEqual(got['Calls/A'], [JSON.stringify({ calls: expected })], `agent ${label}: its own calls, counted`);
    }
  }
});

test('policy rollout: several hostile agents selected at once see exactly their rows', async () => {
  const opts = await options(full, 'rollout.json', 'agent', {});
  const chosen = [HOSTILE_AGENTS[0], HOSTILE_AGENTS[8], HOSTILE_AGENTS[9], HOSTILE_AGENTS[10], HOSTILE_AGENTS[14]] as Name[];
  const vars: VariableStates = { agent: { value: chosen.map((a) => optionFor(opts, a)), options: [...opts.values()] } };
  const got = await panels(full, 'rollout.json', vars);
  await aloneWith(chosen);
  assert.deepEqual(got, await panels(alone, 'rollout.json', vars));
  assert.deepEqual(got['Calls in audit mode/A'], [JSON.stringify({ calls: chosen.length * callsPerAgent })]);
});

test('a crafted URL value that is no option selects nothing and breaks out of nothing', async () => {
  await aloneWith([]);
  for (const crafted of ["x') OR 1=1 --", "\\') OR 1=1 --", '%27) OR 1=1 --', '{%7D']) {
    for (const [file, vars] of [
      ['agent.json', { agent: { value: crafted }, tool: { value: [ALL_VALUE], options: [] }, upstream: { value: [ALL_VALUE], options: [] } }],
      ['rollout.json', { agent: { value: [crafted], options: [] } }],
    ] as const) {
      const got = await panels(full, file, vars as VariableStates);
      assert.deepEqual(got, await panels(alone, file, vars as VariableStates), `${file} with agent=${crafted}`);
    }
  }
});

// Load generator for bench/ingest.bench.ts, run as its own process so the receiver is
// measured alone. Reads template OTLP protobuf bodies (made by the OTel SDK's serialiser),
// gives every span a fresh span id per round (so receiver de-dup cannot skip work), and
// POSTs them with N requests in flight. Honours 429/503 Retry-After like an OTel exporter.
// Reports each request's latency (first POST to its 200, retries included) as p50/p99.
// Usage: node --import tsx bench/ingest-sender.ts TEMPLATE.json URL (--spans N | --seconds S) [--concurrency C]
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { patchedBody, type Template } from './ingest-payload.js';

const [templatePath, url, ...rest] = process.argv.slice(2);
const arg = (name: string): number | undefined => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : undefined;
};
const totalSpans = arg('--spans');
const seconds = arg('--seconds');
const concurrency = arg('--concurrency') ?? 4;
const template = JSON.parse(readFileSync(templatePath as string, 'utf8')) as Template;
const bodies = template.bodies.map((b) => Buffer.from(b, 'base64'));

let round = 0;
let next = 0;
const statuses: Record<string, number> = {};
let spansSent = 0;
const latenciesMs: number[] = [];

/** A copy of the next template body with unique span ids: 4 bytes of round, 4 of position. */
function nextBody(): { body: Buffer; spans: number } {
  const index = next % bodies.length;
  if (index === 0 && next > 0) round += 1;
  next += 1;
  return { body: patchedBody(bodies, template, index, round), spans: (template.spanIdOffsets[index] as number[]).length };
}

async function post(body: Buffer): Promise<void> {
  const started = performance.now();
  for (;;) {
    const response = await fetch(url as string, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    if (response.status === 200) {
      latenciesMs.push(performance.now() - started);
      return;
    }
    if (response.status !== 429 && response.status !== 503) throw new Error(`unexpected status ${response.status}`);
    await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
  }
}

const started = performance.now();
const deadline = seconds !== undefined ? started + seconds * 1000 : Infinity;
const done = () => (totalSpans !== undefined ? spansSent >= totalSpans : performance.now() >= deadline);
process.stdout.write('start\n');
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (!done()) {
    const { body, spans } = nextBody();
    spansSent += spans;
    await post(body);
  }
}));
latenciesMs.sort((a, b) => a - b);
const quantile = (q: number) => Number((latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))] ?? 0).toFixed(1));
process.stdout.write(JSON.stringify({ spans: spansSent, seconds: (performance.now() - started) / 1000, statuses, p50Ms: quantile(0.5), p99Ms: quantile(0.99) }) + '\n');

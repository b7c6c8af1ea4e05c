// What the span budget costs an OTLP/JSON request: `JSON.parse` would build every object of a
// body before its spans could be counted, so the receiver scans the bytes first
// (src/ingest/otlp-json-budget.ts). Side by side on the same SDK bodies (512 tools/call spans,
// Warden's span contract, the OTel SDK's JSON serialiser), alternating in rounds:
//   decode, no budget (no scan) · decode within the budget (scan + decode) · the scan alone ·
//   a body of tiny spans over the budget: refused by the scan vs. found out by a whole decode.
//   node --import tsx bench/ingest-json.bench.ts     (BENCH_BODIES, default 40)
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { checkJsonSpanBudget } from '../src/ingest/otlp-json-budget.js';
import { decodeOtlpBody } from '../src/ingest/index.js';
import { makeSpans } from './ingest-payload.js';

const BODIES = Number(process.env.BENCH_BODIES ?? 40);
const ROUNDS = 5;
const SPANS = 512;
const BUDGET = 200_000; // an empty write queue's room (--max-queue-rows)

const bodies: Buffer[] = [];
for (let b = 0; b < BODIES; b++) bodies.push(Buffer.from(JsonTraceSerializer.serializeRequest(await makeSpans(b, SPANS)) as Uint8Array));
const span = '{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"op"}';
const tiny = Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${Array.from({ length: 1_000_000 }, () => span).join(',')}]}]}]}`);

function timed(step: () => void): number {
  const started = performance.now();
  step();
  return performance.now() - started;
}

const runs = { plain: [] as number[], budgeted: [] as number[], scan: [] as number[], refusedByScan: [] as number[], refusedByDecode: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  runs.plain.push(timed(() => bodies.forEach((body) => decodeOtlpBody(body, 'json'))));
  runs.budgeted.push(timed(() => bodies.forEach((body) => decodeOtlpBody(body, 'json', BUDGET))));
  runs.scan.push(timed(() => bodies.forEach((body) => checkJsonSpanBudget(body, BUDGET))));
  runs.refusedByScan.push(timed(() => decodeOtlpBody(tiny, 'json', BUDGET)));
  runs.refusedByDecode.push(timed(() => {
    const decoded = decodeOtlpBody(tiny, 'json'); // what the budget check saw before: every row built first
    if (decoded.ok && decoded.value.spanCount <= BUDGET) throw new Error('expected more spans than the budget');
  }));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const perBody = (ms: number) => `${(ms / BODIES).toFixed(2)} ms`;
const kib = (bodies.reduce((n, b) => n + b.length, 0) / BODIES / 1024).toFixed(0);
console.log(`## ingest-json\n\n### OTLP/JSON decode and the span budget (${BODIES} bodies of ${SPANS} spans, ${kib} KiB each; median of ${ROUNDS} rounds)\n`);
console.log('| step | per body |\n|---|---:|');
console.log(`| decode, no budget (JSON.parse + rows) | ${perBody(median(runs.plain))} |`);
console.log(`| decode within a budget of ${BUDGET.toLocaleString('en')} spans (scan, then JSON.parse + rows) | ${perBody(median(runs.budgeted))} |`);
console.log(`| the scan alone | ${perBody(median(runs.scan))} |`);
console.log(`\n| a ${(tiny.length / 1024 / 1024).toFixed(0)} MiB body of 1,000,000 tiny spans, budget ${BUDGET.toLocaleString('en')} | time |\n|---|---:|`);
console.log(`| refused by the scan (stops at span ${(BUDGET + 1).toLocaleString('en')}) | ${median(runs.refusedByScan).toFixed(0)} ms |`);
console.log(`| decoded whole, then counted (before) | ${median(runs.refusedByDecode).toFixed(0)} ms |`);

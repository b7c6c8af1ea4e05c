/**
 * `warden policy check | eval | schema`. The engine is pure; this file owns the files and streams.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { ErrorCodes, WardenError } from '../../core/index.js';
import {
  CallLineEvaluator,
  PolicyEngine,
  formatProblems,
  parsePolicyText,
  policyJsonSchemaText,
  type CompiledPolicy,
  type PolicyMode,
} from '../../policy/index.js';
import { EXIT } from '../exit-codes.js';

const MAX_REPORTED_BAD_LINES = 100;
const OUTPUT_CHUNK_CHARS = 1 << 20;

/** Reads and compiles a policy file; prints every problem and returns undefined when it is invalid. */
export function loadPolicyFile(file: string): CompiledPolicy | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WardenError(ErrorCodes.POLICY_NOT_FOUND, `cannot read policy ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      hint: 'pass the path of a policy.json or policy.yaml file',
    });
  }
  const parsed = parsePolicyText(text, file);
  if (parsed.ok) return parsed.value;
  const n = parsed.error.length;
  process.stderr.write(`warden: ${file} is not a valid policy (${n} problem${n === 1 ? '' : 's'}):\n${formatProblems(parsed.error)}\n`);
  return undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function runCheck(file: string, json: boolean): void {
  if (json) return runCheckJson(file);
  const policy = loadPolicyFile(file);
  if (policy === undefined) {
    process.exitCode = EXIT.FAILURE;
    return;
  }
  const s = policy.summary;
  const parts = [plural(s.tools, 'tool'), plural(s.limits, 'limit'), plural(s.grants, 'grant')];
  if (s.hidden > 0) parts.push(`${s.hidden} hidden`);
  parts.push(`default ${policy.source.default}`, `mode ${policy.mode ?? 'audit (unset)'}`, `hash ${policy.hash.slice(0, 12)}`);
  process.stdout.write(`ok: ${basename(file)}: ${parts.join(', ')}\n`);
}

/** `check --json`: one JSON document on stdout, valid or not (exit code as without --json). */
function runCheckJson(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WardenError(ErrorCodes.POLICY_NOT_FOUND, `cannot read policy ${file}: ${(e as Error).message}`);
  }
  const parsed = parsePolicyText(text, file);
  const report = parsed.ok
    ? { ok: true, file, hash: parsed.value.hash, default: parsed.value.source.default, mode: parsed.value.mode ?? null, summary: parsed.value.summary }
    : { ok: false, file, problems: parsed.error };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (!parsed.ok) process.exitCode = EXIT.FAILURE;
}

/** Collects output into large writes and waits for the pipe to drain, so memory stays bounded. */
class ChunkedWriter {
  private parts: string[] = [];
  private chars = 0;
  constructor(private readonly out: NodeJS.WritableStream) {}

  get full(): boolean {
    return this.chars >= OUTPUT_CHUNK_CHARS;
  }

  push(text: string): void {
    this.parts.push(text);
    this.chars += text.length;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    // One join and one write per chunk: far cheaper than a write (or Buffer.write) per line.
    const chunk = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }
}

async function runEval(opts: { policy: string; mode?: PolicyMode }): Promise<void> {
  const policy = loadPolicyFile(opts.policy);
  if (policy === undefined) {
    process.exitCode = EXIT.FAILURE;
    return;
  }
  const mode: PolicyMode = opts.mode ?? policy.mode ?? 'audit';
  const evaluator = new CallLineEvaluator(new PolicyEngine(policy), mode);
  const writer = new ChunkedWriter(process.stdout);
  // `… | head` closes the pipe early: that is the reader being done, not a failure.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.OK);
    throw e;
  });
  let lineNo = 0;
  let bad = 0;
  // Synchronous per line (an await per line would cost more than the decision itself).
  const handle = (raw: string): void => {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const result = evaluator.evaluate(line);
    if (result.ok) {
      writer.push(result.output + '\n');
      return;
    }
    bad++;
    if (bad <= MAX_REPORTED_BAD_LINES) process.stderr.write(`warden: line ${lineNo}: ${result.error}; skipped\n`);
  };
  let rest = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl !== -1) {
      handle(text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = text.slice(start);
    if (writer.full) await writer.flush();
  }
  if (rest !== '') handle(rest);
  await writer.flush();
  reportEvalSummary(evaluator, bad, mode);
}

function reportEvalSummary(evaluator: CallLineEvaluator, bad: number, mode: PolicyMode): void {
  const counts = Object.entries(evaluator.counts).filter(([, n]) => n > 0);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  const byDecision = counts.map(([k, n]) => `${k} ${n}`).join(', ');
  let line = `warden: evaluated ${plural(total, 'call')} in ${mode} mode${byDecision ? ` (${byDecision})` : ''}`;
  if (bad > 0) line += `; ${plural(bad, 'bad line')} skipped`;
  if (bad > MAX_REPORTED_BAD_LINES) line += ` (first ${MAX_REPORTED_BAD_LINES} shown)`;
  process.stderr.write(line + '\n');
}

function runSchema(opts: { out: string; check?: boolean }): void {
  const text = policyJsonSchemaText();
  if (opts.check) {
    const current = existsSync(opts.out) ? readFileSync(opts.out, 'utf8') : undefined;
    if (current === text) {
      process.stdout.write(`ok: ${opts.out} is up to date\n`);
      return;
    }
    process.stderr.write(`warden: ${opts.out} ${current === undefined ? 'is missing' : 'is out of date'}\nhint: run \`warden policy schema --out ${opts.out}\` and commit it\n`);
    process.exitCode = EXIT.FAILURE;
    return;
  }
  if (opts.out === '-') process.stdout.write(text);
  else writeFileSync(opts.out, text);
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('validate, evaluate and describe policy files');
  policy
    .command('check')
    .description('validate a policy (JSON or YAML): exit 0 with a summary, or 1 with every problem as "path: message"')
    .argument('<file>', 'policy.json or policy.yaml')
    .option('--json', 'print the summary, or the problems, as JSON on stdout')
    .action((file: string, opts: { json?: boolean }) => runCheck(file, opts.json === true));
  policy
    .command('eval')
    .description('offline: NDJSON calls on stdin → the same lines plus decision, rule, reason on stdout (time from each "ts")')
    .requiredOption('--policy <file>', 'policy to evaluate against')
    .addOption(new Option('--mode <mode>', 'audit or enforce (sets "enforced"; default: the policy\'s mode, else audit)').choices(['audit', 'enforce']))
    .action((opts: { policy: string; mode?: PolicyMode }) => runEval(opts));
  policy
    .command('schema')
    .description('write the JSON Schema of the policy format (generated from the zod schema)')
    .option('--out <file>', 'where to write it ("-" for stdout)', 'policy.schema.json')
    .option('--check', 'exit 1 if the file differs from what would be generated')
    .action((opts: { out: string; check?: boolean }) => runSchema(opts));
}

// Runs one scripted agent against an MCP server command (usually `warden proxy … -- server`).
//   node --import tsx examples/agents/run-agent.ts researcher [--repeat N] [--pause-ms 200] -- CMD ARGS…
// With --repeat 0 it runs until stopped (the docker-compose traffic generator).
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SCENARIOS, type AgentRole } from './scenarios.js';

const dashdash = process.argv.indexOf('--');
const own = process.argv.slice(2, dashdash === -1 ? undefined : dashdash);
const command = dashdash === -1 ? [] : process.argv.slice(dashdash + 1);
const { values, positionals } = parseArgs({
  args: own,
  allowPositionals: true,
  options: { repeat: { type: 'string', default: '1' }, 'pause-ms': { type: 'string', default: '0' } },
});
const role = positionals[0] as AgentRole | undefined;
if (!role || !(role in SCENARIOS) || command.length === 0) {
  process.stderr.write(`usage: run-agent.ts <${Object.keys(SCENARIOS).join('|')}> [--repeat N] [--pause-ms MS] -- CMD ARGS…\n`);
  process.exit(2);
}

const [cmd, ...args] = command as [string, ...string[]];
const client = new Client({ name: `${role}-agent`, version: '0.1.0' });
await client.connect(new StdioClientTransport({ command: cmd, args, stderr: 'inherit' }));
const repeat = Number(values.repeat);
const pauseMs = Number(values['pause-ms']);
let total = 0;
for (let i = 0; repeat === 0 || i < repeat; i++) {
  total += await SCENARIOS[role](client, { pauseMs });
  if (repeat === 0) await new Promise((r) => setTimeout(r, Math.max(pauseMs, 1000)));
}
process.stderr.write(`${role}: ${total} tool calls\n`);
await client.close();

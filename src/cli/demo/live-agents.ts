import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SCENARIOS, type AgentRole, type ScenarioOptions } from '../../../examples/agents/scenarios.js';

const WARDEN_BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
/**
 * The example server as this module itself runs: compiled JavaScript from dist/ (or the
 * compiled cache), which needs no loader; TypeScript through tsx (a dev dependency) only when
 * the demo itself runs from the sources through tsx.
 */
const COMPILED = import.meta.url.endsWith('.js');
const EXAMPLE_SERVER_ARGS = COMPILED
  ? [fileURLToPath(new URL('../../../examples/total-recall-server.js', import.meta.url))]
  : ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../../examples/total-recall-server.ts', import.meta.url))];
/** The policy the demo's proxies run in audit mode: the same starter policy docker compose uses. */
export const STARTER_POLICY = fileURLToPath(new URL('../../../examples/compose/policy.json', import.meta.url));

export interface LiveAgent {
  role: AgentRole;
  options: ScenarioOptions;
}

export interface LiveAgentResult {
  agent: AgentRole;
  calls: number;
  firstCallAtMs: number;
  stderr: string;
}

/**
 * The command line an MCP client config would hold: `warden proxy` with the starter policy in
 * audit mode in front of the example Total-Recall-like server, sending spans to the demo's serve.
 */
export function proxyCommand(agent: string, otlpUrl: string, spoolDir: string): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: [
      WARDEN_BIN, 'proxy', '--agent', agent, '--policy', STARTER_POLICY, '--mode', 'audit', '--otlp', otlpUrl, '--spool', join(spoolDir, agent),
      '--', process.execPath, ...EXAMPLE_SERVER_ARGS,
    ],
  };
}

/** Runs one scripted agent as a real MCP SDK client through a real `warden proxy` process. */
export async function runLiveAgent(agent: LiveAgent, otlpUrl: string, spoolDir: string): Promise<LiveAgentResult> {
  const { command, args } = proxyCommand(agent.role, otlpUrl, spoolDir);
  const transport = new StdioClientTransport({ command, args, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
  });
  const client = new Client({ name: `${agent.role}-agent`, version: '0.1.0' });
  await client.connect(transport);
  try {
    const firstCallAtMs = Date.now();
    const calls = await SCENARIOS[agent.role](client, agent.options);
    return { agent: agent.role, calls, firstCallAtMs, stderr };
  } finally {
    // Closing stdin ends the proxy cleanly: it flushes its spans and stops the server.
    await client.close();
  }
}

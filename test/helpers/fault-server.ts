// An MCP server that misbehaves on request, for the proxy's fault tests (stdio):
//   node --import tsx test/helpers/fault-server.ts
// tools: echo, hang (never answers), crash (exits with code 3 mid-call), garbage (prints a non-JSON line on stdout first),
// slow_progress (answers after `steps` × `every_ms`, reporting progress at each step).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'fault-server', version: '1.0.0' });
server.registerTool('echo', { inputSchema: { message: z.string() }, annotations: { readOnlyHint: true } }, ({ message }) => ({
  content: [{ type: 'text', text: `echo: ${message}` }],
}));
server.registerTool('hang', { annotations: { readOnlyHint: true } }, () => new Promise(() => {}));
server.registerTool('crash', {}, () => {
  process.exit(3);
});
server.registerTool('garbage', {}, () => {
  process.stdout.write('this is not JSON-RPC\n');
  return { content: [{ type: 'text', text: 'after garbage' }] };
});
server.registerTool('slow_progress', { inputSchema: { steps: z.number(), every_ms: z.number() } }, async ({ steps, every_ms }, extra) => {
  const token = extra._meta?.progressToken;
  for (let step = 1; step <= steps; step++) {
    await new Promise((r) => setTimeout(r, every_ms));
    if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: step, total: steps } });
  }
  return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
});
await server.connect(new StdioServerTransport());

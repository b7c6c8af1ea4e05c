// An MCP server that misbehaves on request, for the proxy's fault tests (stdio):
//   node --import tsx test/helpers/fault-server.ts
// tools: echo, hang (never answers), crash (exits with code 3 mid-call), garbage (prints a non-JSON line on stdout first).
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
await server.connect(new StdioServerTransport());

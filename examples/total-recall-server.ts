// The example Total-Recall-like MCP server.
//   node --import tsx examples/total-recall-server.ts            # stdio
//   node --import tsx examples/total-recall-server.ts http 3201  # Streamable HTTP at http://127.0.0.1:3201/mcp
import { startTotalRecallHttp, startTotalRecallStdio } from './total-recall/index.js';

const [mode = 'stdio', port = '3201'] = process.argv.slice(2);
if (mode === 'http') {
  const running = await startTotalRecallHttp({ port: Number(port) });
  process.stderr.write(`total-recall-example listening on ${running.url}\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  await startTotalRecallStdio();
}

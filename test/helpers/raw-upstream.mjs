// A byte-level MCP server for the trust tests (stdio): it appends every line it receives,
// exactly as received, to the file named by RAW_LOG (after a first line "start <pid> <env
// names>"), and answers initialize, tools/list and tools/call. tools/call "slow" answers after
// 300 ms, so a test can reuse its id while it is in flight. Plain JS: starts in ~50 ms.
import { appendFileSync } from 'node:fs';

const log = process.env.RAW_LOG;
const note = (line) => log && appendFileSync(log, `${line}\n`);
note(`start ${process.pid} ${Object.keys(process.env).sort().join(',')}`);

const tools = ['safe', 'danger', 'slow'].map((name) => ({ name, inputSchema: { type: 'object' }, annotations: { readOnlyHint: name !== 'danger' } }));
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk.toString('utf8');
  for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line.trim() === '') continue;
    note(line);
    answer(line);
  }
});
process.stdin.on('end', () => process.exit(0));

function answer(line) {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  if (message.id === undefined || message.method === undefined) return;
  const reply = (result) => send({ jsonrpc: '2.0', id: message.id, result });
  if (message.method === 'initialize') {
    return reply({ protocolVersion: message.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'raw-upstream', version: '1.0.0' } });
  }
  if (message.method === 'tools/list') return reply({ tools });
  if (message.method === 'tools/call') {
    const result = { content: [{ type: 'text', text: `ran ${message.params?.name}` }] };
    if (message.params?.name === 'slow') return void setTimeout(() => reply(result), 300);
    return reply(result);
  }
  send({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'method not found' } });
}

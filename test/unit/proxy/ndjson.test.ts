// The proxy's own stdio framing: line splitting, the JSON-RPC envelope check the SDK applies,
// byte-for-byte forwarding of unchanged messages, and errors that never stop the stream.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { InvalidJsonRpcError, LineSplitter, NdjsonStreamTransport, isJsonRpcMessage, malformedResponse, parseLine, serializeLine } from '../../../src/proxy/index.js';

describe('JSON-RPC envelope', () => {
  const valid: unknown[] = [
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't' } },
    { jsonrpc: '2.0', id: 'a', method: 'ping' },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 7, result: {} },
    { jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'no such method', data: { x: 1 } } },
    { jsonrpc: '2.0', error: { code: -32700, message: 'parse error' } },
  ];
  const invalid: unknown[] = [
    [{ jsonrpc: '2.0', method: 'ping', id: 1 }], // a batch: MCP has none
    { jsonrpc: '1.0', id: 1, method: 'ping' },
    { id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 1.5, method: 'ping' },
    { jsonrpc: '2.0', id: null, method: 'ping' },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: [1, 2] },
    { jsonrpc: '2.0', id: 1, method: 'ping', extra: true },
    { jsonrpc: '2.0', id: 1, result: 'not an object' },
    { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'both' } },
    { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } },
    { jsonrpc: '2.0', id: 1 },
    null,
    'text',
  ];
  it('accepts requests, notifications, results and errors', () => {
    for (const v of valid) assert.equal(isJsonRpcMessage(v), true, JSON.stringify(v));
  });
  it('refuses batches, other versions, bad ids, extra members and mixed shapes', () => {
    for (const v of invalid) assert.equal(isJsonRpcMessage(v), false, JSON.stringify(v));
  });
  it('reports JSON that is not a message with an error the proxy answers as Invalid Request', () => {
    assert.throws(() => parseLine('{"jsonrpc":"2.0","id":1}'), InvalidJsonRpcError);
    assert.throws(() => parseLine('{not json'), SyntaxError);
    const reply = malformedResponse(new InvalidJsonRpcError('x')) as { error: { code: number } };
    assert.equal(reply.error.code, -32600);
  });
  it('writes a message read from a line back as that exact line, and a built one as fresh JSON', () => {
    const line = '{ "jsonrpc": "2.0",  "id": 3, "method": "tools/call", "params": {"name": "t", "_meta": {"x": 1}} }';
    assert.equal(serializeLine(parseLine(line)), `${line}\n`);
    const built: JSONRPCMessage = { jsonrpc: '2.0', id: 3, result: {} };
    assert.equal(serializeLine(built), '{"jsonrpc":"2.0","id":3,"result":{}}\n');
  });
});

describe('line splitting', () => {
  it('joins lines split across chunks, including inside a multi-byte character, and drops \\r', () => {
    const text = Buffer.from('{"a":"héllo"}\r\n\n{"b":2}\n{"c":');
    const lines: string[] = [];
    const splitter = new LineSplitter(1024);
    const cut = text.indexOf(0xc3) + 1; // between the two bytes of "é"
    splitter.push(text.subarray(0, cut), (l) => lines.push(l));
    splitter.push(text.subarray(cut), (l) => lines.push(l));
    splitter.push(Buffer.from('3}\n'), (l) => lines.push(l));
    assert.deepEqual(lines, ['{"a":"héllo"}', '{"b":2}', '{"c":3}']);
  });
  it('refuses a line longer than the limit instead of buffering without end', () => {
    const splitter = new LineSplitter(16);
    assert.throws(() => splitter.push(Buffer.alloc(64, 0x61), () => {}), /longer than 16 bytes/);
  });
});

describe('NdjsonStreamTransport', () => {
  it('delivers every good line, reports each bad one, and keeps going', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const transport = new NdjsonStreamTransport(input, output);
    const messages: JSONRPCMessage[] = [];
    const errors: Error[] = [];
    transport.onmessage = (m) => messages.push(m);
    transport.onerror = (e) => errors.push(e);
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\nnot json\n{"jsonrpc":"2.0","id":2}\n');
    input.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(messages.map((m) => ('method' in m ? m.method : undefined)), ['ping', 'notifications/initialized']);
    assert.deepEqual(errors.map((e) => e.name), ['SyntaxError', 'InvalidJsonRpcError']);
    await transport.send(messages[0] as JSONRPCMessage);
    assert.equal(output.read().toString(), '{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    let closed = false;
    transport.onclose = () => (closed = true);
    await transport.close();
    assert.equal(closed, true);
    await assert.rejects(transport.send(messages[0] as JSONRPCMessage), /Not connected/);
  });
});

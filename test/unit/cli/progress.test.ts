import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress } from '../../../src/cli/progress.js';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

test('progress shows steps with timings on a terminal and nothing when piped', async () => {
  const tty = sink();
  const value = await createProgress(tty.stream, true).step('loading', async () => 7, (n) => `loaded ${n}`);
  assert.equal(value, 7);
  assert.match(tty.text(), /… loading\r.*✓ loaded 7 \(\d+\.\ds\)\n/s);
  const piped = sink();
  await createProgress(piped.stream, false).step('loading', async () => 1);
  createProgress(piped.stream, false).note('x');
  assert.equal(piped.text(), '');
  await assert.rejects(createProgress(tty.stream, true).step('failing', async () => {
    throw new Error('boom');
  }), /boom/);
  assert.match(tty.text(), /✗ failing\n/);
});

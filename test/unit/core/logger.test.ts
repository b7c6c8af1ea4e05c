import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/core/index.js';

test('log lines leave out undefined fields and respect the level', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', write: (l) => lines.push(l) });
  logger.debug('hidden');
  logger.warn('alert firing', { rule: 'r', tool: undefined, n: 2 });
  assert.deepEqual(lines, ['warden warn: alert firing rule=r n=2']);
  const json: string[] = [];
  createLogger({ json: true, write: (l) => json.push(l) }).info('x', { a: undefined, b: 'y' });
  const parsed = JSON.parse(json[0] as string) as Record<string, unknown>;
  assert.equal(parsed.b, 'y');
  assert.ok(!('a' in parsed));
});

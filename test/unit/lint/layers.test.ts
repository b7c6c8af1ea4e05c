// `npm run lint` runs ESLint with the repository's eslint.config.js; these lint source text as
// if it sat at a path under src/ and check that `warden/layers` refuses what the layout forbids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { LAYERS } from '../../../eslint-rules/layers.js';

const eslint = new ESLint({ cwd: process.cwd() });

async function layerMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result);
  return result.messages.filter((m) => m.ruleId === 'warden/layers').map((m) => m.message);
}

test('an upward import fails lint, naming both modules and the order', async () => {
  const messages = await layerMessages('src/storage/new-file.ts', "import { startServe } from '../cli/index.js';\nexport const x = startServe;\n");
  assert.equal(messages.length, 1);
  assert.match(messages[0] as string, /^src\/storage may not import from src\/cli: modules import only from those before them \(core → config → .* → cli\)/);
});

test('a deep import into another module fails lint; through its index.ts it passes', async () => {
  const deep = await layerMessages('src/analytics/new-file.ts', "import { compilePolicy } from '../policy/compile.js';\nexport const x = compilePolicy;\n");
  assert.deepEqual(deep, ['src/analytics imports src/policy/compile.js: import it through src/policy/index.ts']);
  const viaIndex = await layerMessages('src/analytics/new-file.ts', "import { compilePolicy } from '../policy/index.js';\nexport const x = compilePolicy;\n");
  assert.deepEqual(viaIndex, []);
});

test('re-exports and dynamic imports are checked too; inside a module anything goes', async () => {
  assert.equal((await layerMessages('src/core/new-file.ts', "export * from '../api/index.js';\n")).length, 1);
  assert.equal((await layerMessages('src/policy/new-file.ts', "export async function f() { return import('../proxy/index.js'); }\n")).length, 1);
  assert.deepEqual(await layerMessages('src/proxy/deep/new-file.ts', "export * from '../relay.js';\n"), []);
});

test('the proxy may not import the store even though storage sits below it', async () => {
  const messages = await layerMessages('src/proxy/new-file.ts', "import { ChdbDriver } from '../storage/index.js';\nexport const x = ChdbDriver;\n");
  assert.deepEqual(messages, ['src/proxy may not import from src/storage: the proxy records through telemetry and never touches the store']);
});

test('every module under src/ has a place in the layer order', () => {
  const modules = readdirSync('src', { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual(modules.filter((m) => !LAYERS.includes(m)), []);
});

test("the README's Layout section states the order LAYERS holds", () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Layout'));
  const line = section.split('\n').find((l) => l.startsWith('core → '));
  assert.equal(line, LAYERS.join(' → '));
});

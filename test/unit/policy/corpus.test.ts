// Runs the decision corpus in test/cases/policy/*.yaml: each case through a fresh engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCorpus, runCase, runInvalid } from '../../helpers/policy-corpus.js';

const corpus = loadCorpus();

test('the corpus is there', () => assert.ok(corpus.length >= 8, corpus.map((c) => c.file).join(', ')));

for (const { file, cases, invalid } of corpus) {
  describe(file, () => {
    for (const spec of cases) test(spec.name, () => runCase(spec));
    for (const spec of invalid) test(`rejects: ${spec.name}`, () => runInvalid(spec));
  });
}

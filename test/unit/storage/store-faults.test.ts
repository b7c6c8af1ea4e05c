import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyInsertFailure, clickhouseErrorOf, describeStoreFailure } from '../../../src/storage/index.js';
import { STORE_FAULTS, storeFault, type StoreFaultName } from '../../helpers/faulty-store.js';

test('store faults are waited out, never dead-lettered: disk, parts, read-only, auth, memory, timeout, network', () => {
  for (const name of Object.keys(STORE_FAULTS) as StoreFaultName[]) {
    const e = storeFault(name);
    assert.equal(classifyInsertFailure(e), 'store_fault', name);
    assert.deepEqual(clickhouseErrorOf(e), { code: STORE_FAULTS[name][0], name });
  }
  assert.equal(classifyInsertFailure(new Error('connect ECONNREFUSED 127.0.0.1:8123')), 'store_fault');
  assert.equal(classifyInsertFailure(new Error('Code: 60. DB::Exception: Table w.nope does not exist. (UNKNOWN_TABLE)')), 'store_fault');
});

test('rows refused for what they hold are bad data, from chDB messages or the server client\'s code/type fields', () => {
  // Messages as chDB raised them in this repository's tests.
  assert.equal(classifyInsertFailure(new Error('Code: 469. DB::Exception: Constraint `no_poison` for table w.otel_traces is violated at row 1. (VIOLATED_CONSTRAINT)')), 'bad_data');
  assert.equal(classifyInsertFailure(new Error('Code: 41. DB::Exception: Cannot read DateTime: unexpected word: (while reading the value of key Timestamp): (at row 1)')), 'bad_data');
  assert.equal(classifyInsertFailure(new Error('Code: 27. DB::Exception: Cannot parse input: expected \'{\' before: \'x\'. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)')), 'bad_data');
  // @clickhouse/client's ClickHouseError carries code and type as fields.
  const serverError = Object.assign(new Error('Type mismatch in IN or VALUES section.'), { code: '53', type: 'TYPE_MISMATCH' });
  assert.equal(classifyInsertFailure(new Error('store query failed', { cause: serverError })), 'bad_data');
  assert.equal(describeStoreFailure(serverError), 'TYPE_MISMATCH (53): Type mismatch in IN or VALUES section.');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_VALUE, applyConditionalAll, interpolateFrontend, replaceVariables } from '../../helpers/grafana/index.js';

test('$__conditionalAll: 1=1 for All or empty, the condition otherwise', () => {
  const sql = 'WHERE $__conditionalAll(tool IN (${tool:singlequote}), $tool) AND $__conditionalAll(upstream IN (${upstream:singlequote}), ${upstream})';
  assert.equal(applyConditionalAll(sql, { tool: { value: [ALL_VALUE] }, upstream: { value: [] } }), 'WHERE 1=1 AND 1=1');
  assert.equal(
    applyConditionalAll(sql, { tool: { value: ['a'] }, upstream: { value: ['u'] } }),
    'WHERE tool IN (${tool:singlequote}) AND upstream IN (${upstream:singlequote})',
  );
});

test('variables: singlequote escapes, the plugin formats lists, unknown names and macros stay', () => {
  assert.equal(replaceVariables("x IN (${agent:singlequote})", { agent: { value: "o'brien" } }), "x IN ('o\\'brien')");
  assert.equal(replaceVariables('x IN (${tool:singlequote})', { tool: { value: ['a', 'b'] } }), "x IN ('a','b')");
  assert.equal(replaceVariables('x IN ($tool)', { tool: { value: ['a', 'b'] } }), "x IN ('a','b')");
  assert.equal(replaceVariables("x = '$agent'", { agent: { value: 'a1' } }), "x = 'a1'");
  assert.equal(replaceVariables('$__timeFilter(ts) AND $other', {}), '$__timeFilter(ts) AND $other');
  assert.equal(replaceVariables('${tool:singlequote}', { tool: { value: [ALL_VALUE], options: ['p', 'q'] } }), "'p','q'");
  assert.equal(replaceVariables('${tool}', { tool: { value: ALL_VALUE, allValue: '.*' } }), '.*');
});

test('percentencode: RFC 3986 strict per value; a list is glob-joined, then encoded as a whole', () => {
  assert.equal(replaceVariables("'${agent:percentencode}'", { agent: { value: "!x\\') OR 1=1 --" } }), "'%21x%5C%27%29%20OR%201%3D1%20--'");
  assert.equal(replaceVariables('${tool:percentencode}', { tool: { value: ['a,b', 'ü*'] } }), '%7Ba%2Cb%2C%C3%BC%2A%7D');
  assert.equal(replaceVariables('${tool:percentencode}', { tool: { value: [ALL_VALUE], options: ['p', 'q'] } }), '%7Bp%2Cq%7D');
});

test('the frontend runs $__conditionalAll before replacing variables', () => {
  const sql = 'agent IN (${agent:singlequote}) AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)';
  assert.equal(interpolateFrontend(sql, { agent: { value: 'a' }, tool: { value: [ALL_VALUE], options: ['t1'] } }), "agent IN ('a') AND 1=1");
  assert.equal(interpolateFrontend(sql, { agent: { value: 'a' }, tool: { value: ['t1'] } }), "agent IN ('a') AND tool IN ('t1')");
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publicTarget, redactUrl, scrub, secretsOf, type AlertTarget } from '../../../src/alerts/index.js';

test('redactUrl keeps scheme, host and plain path, masks credentials, tokens in the path and query values', () => {
  assert.equal(redactUrl('http://127.0.0.1:9000/hook'), 'http://127.0.0.1:9000/hook');
  assert.equal(redactUrl('http://alertmanager:9093'), 'http://alertmanager:9093');
  assert.equal(redactUrl('https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx'), 'https://hooks.slack.com/services/***/***/***');
  assert.equal(redactUrl('https://user:pw@example.com/api/v2/alerts?token=abc&x=1'), 'https://***@example.com/api/v2/alerts?token=***&x=***');
  assert.equal(redactUrl('not a url'), '***');
});

test('scrub removes every secret of a target from free text; publicTarget shows header names only', () => {
  const target: AlertTarget = {
    name: 'ops', type: 'webhook', url: 'https://user:hunter22@h.example/hook/S3cretPathToken99?key=qwerty123',
    headers: { Authorization: 'Bearer tok-ABCDEF-123456', 'X-Api-Key': 'k-987654321' }, channel: undefined,
  };
  const text = `request to https://user:hunter22@h.example/hook/S3cretPathToken99?key=qwerty123 failed; sent Bearer tok-ABCDEF-123456 and k-987654321; path S3cretPathToken99, pw hunter22, q qwerty123`;
  const clean = scrub(text, secretsOf(target));
  for (const secret of ['hunter22', 'S3cretPathToken99', 'qwerty123', 'tok-ABCDEF-123456', 'k-987654321']) assert.ok(!clean.includes(secret), `${secret} in ${clean}`);
  assert.deepEqual(publicTarget(target), { name: 'ops', type: 'webhook', url: 'https://***@h.example/hook/***?key=***', headers: ['Authorization', 'X-Api-Key'] });
});

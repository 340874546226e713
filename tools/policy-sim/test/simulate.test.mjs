// End-to-end checks of simulate.mjs: passing fixture tables, a mismatch, malformed tables,
// a missing template. Run: node --test tools/policy-sim/test/
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { checkTable, requestContext } from '../lib/table.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..', '..', '..')
const sim = path.join(here, '..', 'simulate.mjs')
const run = (...tables) => spawnSync(process.execPath, [sim, ...tables], { cwd: root, encoding: 'utf8' })
const tmp = mkdtempSync(path.join(tmpdir(), 'policy-sim-test-'))
const writeTable = (name, t) => {
  const f = path.join(tmp, name)
  writeFileSync(f, typeof t === 'string' ? t : JSON.stringify(t))
  return f
}
const selfManage = (scenarios, extra = {}) => ({
  description: 'test',
  account: '123456789012',
  policies: { files: ['policies/self-manage-credentials.json'] },
  scenarios,
  ...extra
})
const jane = { user: 'jane', path: '/' }

test('fixture template tables pass', () => {
  const r = run('tools/policy-sim/fixtures/scenarios/fixture-role-default.json', 'tools/policy-sim/fixtures/scenarios/fixture-role-boundary.json')
  assert.equal(r.status, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /^policy-sim: 25 passed, 0 failed$/m)
})

test('a mismatch exits 1 and prints request, expected, actual and the explanation', () => {
  const f = writeTable('mismatch.json', selfManage([
    { name: 'wrong on purpose', principal: jane, mfa: false, action: 's3:ListAllMyBuckets', resource: '*', expect: 'Allowed' },
    { name: 'right', principal: jane, mfa: false, action: 'iam:ChangePassword', resource: 'arn:aws:iam::123456789012:user/jane', expect: 'Allowed' }
  ]))
  const r = run(f)
  assert.equal(r.status, 1, r.stdout)
  assert.match(r.stdout, /FAIL .*wrong on purpose: expected Allowed, got ExplicitlyDenied/)
  assert.match(r.stdout, /request: \{"principal":"arn:aws:iam::123456789012:user\/jane","action":"s3:ListAllMyBuckets"/)
  assert.match(r.stdout, /Explicit deny from identity policy policies\/self-manage-credentials.json: statement DenyAllExceptFirstSignInUnlessSignedInWithMFA/)
  assert.match(r.stdout, /ok .*right: Allowed/)
  assert.match(r.stdout, /^policy-sim: 1 passed, 1 failed$/m)
})

test('"Denied" accepts either deny; mfa null sends no aws:MultiFactorAuthPresent', () => {
  const f = writeTable('denied.json', selfManage([
    { name: 'implicit', principal: jane, mfa: true, action: 's3:ListAllMyBuckets', resource: '*', expect: 'Denied' },
    { name: 'explicit', principal: jane, mfa: null, action: 's3:ListAllMyBuckets', resource: '*', expect: 'Denied' }
  ]))
  const r = run(f)
  assert.equal(r.status, 0, r.stdout)
  assert.deepEqual(requestContext({ principal: jane, mfa: null }), { 'aws:username': 'jane' })
  assert.deepEqual(requestContext({ principal: jane }), { 'aws:username': 'jane' })
  assert.deepEqual(requestContext({ principal: { role: 'arn:aws:sts::1:assumed-role/R/s' }, mfa: true, context: { 'k:x': 1, 'k:l': ['a', 2] } }), {
    'aws:MultiFactorAuthPresent': 'true',
    'k:x': '1',
    'k:l': ['a', '2']
  })
})

test('malformed tables exit 2 with the problems listed', () => {
  assert.deepEqual(checkTable(selfManage([{ name: 'a', principal: jane, mfa: false, action: 'iam:GetUser', resource: '*', expect: 'Allowed' }])), [])
  const problems = checkTable({
    description: '',
    account: '12',
    policies: { files: [] },
    extra: 1,
    scenarios: [
      { name: 'x', principal: { user: 'bad/name' }, mfa: 'yes', action: 'iam:*', resource: 'user/jane', expect: 'Allow', expected: 'Allowed' },
      { name: 'x', principal: jane, action: 'iam:GetUser', resource: '*', context: { 'aws:username': 'bob' }, expect: 'Allowed' }
    ]
  })
  for (const want of [/unknown key "extra"/, /"description"/, /"account"/, /"policies.files"/, /principal.user/, /"mfa"/, /"action"/, /"resource"/, /"expect"/, /unknown key "expected"/, /duplicate name/, /aws:username is set from/]) {
    assert.ok(problems.some((p) => want.test(p)), `${want} in ${JSON.stringify(problems)}`)
  }
  const r = run(writeTable('malformed.json', { description: 'x', account: '123456789012', policies: { files: ['policies/self-manage-credentials.json'] }, scenarios: [] }))
  assert.equal(r.status, 2)
  assert.match(r.stdout, /malformed table:\n\s+- "scenarios" must be a non-empty list/)
  const j = run(writeTable('notjson.json', '{ nope'))
  assert.equal(j.status, 2)
  assert.match(j.stdout, /not valid JSON/)
})

test('a context key that does not apply to the action is an error, not silently ignored', () => {
  const f = writeTable('ignored.json', selfManage([
    { name: 'typo key', principal: jane, mfa: true, action: 'iam:GetUser', resource: 'arn:aws:iam::123456789012:user/jane', context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/X' }, expect: 'Allowed' }
  ]))
  const r = run(f)
  assert.equal(r.status, 2, r.stdout)
  assert.match(r.stdout, /context key\(s\) iam:PolicyARN do not apply to iam:GetUser/)
})

test('an unknown action is rejected by the simulator and fails the run', () => {
  const f = writeTable('unknown-action.json', selfManage([
    { name: 'no such action', principal: jane, mfa: true, action: 'iam:FrobnicateUser', resource: 'arn:aws:iam::123456789012:user/jane', expect: 'ImplicitlyDenied' }
  ]))
  const r = run(f)
  assert.equal(r.status, 2, r.stdout)
  assert.match(r.stdout, /ERROR .*no such action: the simulator rejected the request/)
})

test('a template table whose CloudFormation JSON is missing says to run scripts/lint-template.sh', () => {
  const fixtureTable = JSON.parse(readFileSync(path.join(root, 'tools/policy-sim/fixtures/scenarios/fixture-role-default.json'), 'utf8'))
  fixtureTable.policies.template.file = 'target/template/does-not-exist.json'
  const r = run(writeTable('missing-template.json', fixtureTable))
  assert.equal(r.status, 2, r.stdout)
  assert.match(r.stdout, /target\/template\/does-not-exist.json does not exist.*run scripts\/lint-template.sh first/)
})

test('a negative-control table that reproduces the lockout prints LOCKOUT DETECTED', () => {
  const r = run('policies/scenarios/seed-negative-control.json')
  assert.equal(r.status, 0, r.stdout)
  assert.match(r.stdout, /LOCKOUT DETECTED: iam:ChangePassword without MFA is explicitly denied by policies\/negative-control\/seed-policy.json BlockMostAccessUnlessSignedInWithMFA/)
  assert.match(r.stdout, /NEGATIVE CONTROL policies\/scenarios\/seed-negative-control.json: all \d+ recorded defects reproduced/)
})

test('a negative-control table that no longer reproduces its defect fails', () => {
  const t = JSON.parse(readFileSync(path.join(root, 'policies/scenarios/seed-negative-control.json'), 'utf8'))
  t.policies.files = ['policies/self-manage-credentials.json'] // the corrected policy has no lockout
  t.scenarios = t.scenarios.filter((s) => s.action === 'iam:ChangePassword' && s.mfa === false)
  const r = run(writeTable('nc.json', t))
  assert.equal(r.status, 2, r.stdout)
  assert.match(r.stdout, /NEGATIVE CONTROL .*FAILED/)
  assert.match(r.stdout, /no table reproduced the first-sign-in lockout/)
})

test('multi-valued aws:TagKeys: lists reach the simulator as lists, and the ForAllValues trap is visible', () => {
  assert.deepEqual(requestContext({ principal: jane, mfa: true, context: { 'aws:TagKeys': ['AKIAIOSFODNN7EXAMPLE', 'ManagedBy'] } }), {
    'aws:username': 'jane',
    'aws:MultiFactorAuthPresent': 'true',
    'aws:TagKeys': ['AKIAIOSFODNN7EXAMPLE', 'ManagedBy']
  })
  assert.deepEqual(requestContext({ principal: jane, context: { 'aws:TagKeys': [] } })['aws:TagKeys'], [])
  const user = 'arn:aws:iam::123456789012:user/jane'
  const row = (name, keys, expect) => ({ name, principal: jane, mfa: true, action: 'iam:TagUser', resource: user, ...(keys === undefined ? {} : { context: { 'aws:TagKeys': keys } }), expect })
  // ForAllValues alone: true when the request has no tag keys (absent or empty), false when one key does not match.
  const forAllOnly = path.join(tmp, 'forall-only.json')
  writeFileSync(forAllOnly, JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iam:TagUser', Resource: user, Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'AKIA*' } } }]
  }))
  const trap = run(writeTable('forall-trap.json', {
    description: 'ForAllValues alone',
    account: '123456789012',
    policies: { files: [path.relative(root, forAllOnly)] },
    scenarios: [
      row('absent', undefined, 'Allowed'),
      row('empty', [], 'Allowed'),
      row('one AKIA key', ['AKIAIOSFODNN7EXAMPLE'], 'Allowed'),
      row('AKIA key and a marker', ['AKIAIOSFODNN7EXAMPLE', 'ManagedBy'], 'ImplicitlyDenied')
    ]
  }))
  assert.equal(trap.status, 0, trap.stdout)
  // The shipped policy closes the trap (ForAnyValue needs at least one AKIA key).
  const ours = run(writeTable('forall-closed.json', selfManage([
    row('absent', undefined, 'ImplicitlyDenied'),
    row('empty', [], 'ImplicitlyDenied'),
    row('one AKIA key', ['AKIAIOSFODNN7EXAMPLE'], 'Allowed'),
    row('a single string is one value', 'AKIAIOSFODNN7EXAMPLE', 'Allowed'),
    row('AKIA key and a marker', ['AKIAIOSFODNN7EXAMPLE', 'ManagedBy'], 'ImplicitlyDenied')
  ])))
  assert.equal(ours.status, 0, ours.stdout)
  assert.match(ours.stdout, /^policy-sim: 5 passed, 0 failed$/m)
})

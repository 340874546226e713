// Unit checks of the CloudFormation resolver against tools/policy-sim/fixtures/cfn-template.json.
// Run: node --test tools/policy-sim/test/
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { makeResolver, rolePolicies, TemplateError } from '../lib/cfn.mjs'
import { builtinAwsManaged } from '../lib/table.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const fixture = () => JSON.parse(readFileSync(path.join(here, '..', 'fixtures', 'cfn-template.json'), 'utf8'))
const A = '123456789012'
const resources = {
  WebhookSecret: { Ref: `arn:aws:secretsmanager:us-east-1:${A}:secret:webhook-AbCdEf` },
  DeadLetterQueue: { Arn: `arn:aws:sqs:us-east-1:${A}:dlq` },
  SelfManagePolicy: { Ref: `arn:aws:iam::${A}:policy/self-manage-credentials` },
  EmployeeBoundary: { Ref: `arn:aws:iam::${A}:policy/employee-boundary` }
}
const opts = (parameters = {}, extra = {}) => ({
  parameters: { SenderEmail: 'it@example.com', ...parameters },
  pseudo: { 'AWS::AccountId': A, 'AWS::StackName': 'fixture-stack' },
  resources,
  awsManagedPolicies: builtinAwsManaged(),
  ...extra
})
const statements = (res) =>
  Object.fromEntries(res.identityPolicies.flatMap((p) => p.policy.Statement.map((s) => [s.Sid ?? `${p.name}#`, s])))

test('Ref of parameters (default, given, CommaDelimitedList, Number) and pseudo parameters', () => {
  const r = makeResolver(fixture(), opts({ Concurrency: 0 }))
  assert.equal(r.resolve({ Ref: 'UserPath' }), '/employees/')
  assert.deepEqual(r.resolve({ Ref: 'AllowedGroups' }), ['Developers', 'ReadOnly'])
  assert.equal(r.resolve({ Ref: 'Concurrency' }), '0')
  assert.equal(r.resolve({ Ref: 'AWS::AccountId' }), A)
  assert.equal(r.resolve({ Ref: 'AWS::Region' }), 'us-east-1')
  assert.equal(r.resolve({ Ref: 'AWS::Partition' }), 'aws')
  assert.equal(r.resolve({ Ref: 'AWS::URLSuffix' }), 'amazonaws.com')
  assert.match(r.resolve({ Ref: 'AWS::StackId' }), /^arn:aws:cloudformation:us-east-1:123456789012:stack\/fixture-stack\//)
  assert.equal(r.resolve({ Ref: 'WebhookSecret' }), resources.WebhookSecret.Ref)
  const r2 = makeResolver(fixture(), opts({ AllowedGroups: 'A, B ,C' }))
  assert.deepEqual(r2.resolve({ Ref: 'AllowedGroups' }), ['A', 'B', 'C'])
  const r3 = makeResolver(fixture(), opts({ AllowedGroups: '' }))
  assert.deepEqual(r3.resolve({ Ref: 'AllowedGroups' }), [])
})

test('Fn::Sub, both forms, with ${!Literal}, GetAtt inside Sub, and IAM policy variables', () => {
  const r = makeResolver(fixture(), opts())
  assert.equal(r.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user${UserPath}*' }), `arn:aws:iam::${A}:user/employees/*`)
  assert.equal(r.resolve({ 'Fn::Sub': 'user/${!aws:username}' }), 'user/${aws:username}')
  assert.equal(r.resolve({ 'Fn::Sub': '${DeadLetterQueue.Arn}|${WebhookSecret}' }), `${resources.DeadLetterQueue.Arn}|${resources.WebhookSecret.Ref}`)
  assert.equal(r.resolve({ 'Fn::Sub': ['${X}-${AWS::Region}', { X: { Ref: 'UserPath' } }] }), '/employees/-us-east-1')
  // a var in the map shadows a parameter of the same name
  assert.equal(r.resolve({ 'Fn::Sub': ['${UserPath}', { UserPath: 'shadowed' }] }), 'shadowed')
  // strings outside Fn::Sub are literal
  assert.equal(r.resolve('arn:aws:iam::*:user/${aws:username}'), 'arn:aws:iam::*:user/${aws:username}')
  assert.throws(() => r.resolve({ 'Fn::Sub': 'user/${aws:username}' }), /must be written \$\{!aws:username\}/)
  assert.throws(() => r.resolve({ 'Fn::Sub': '${Nope}' }), TemplateError)
})

test('Fn::GetAtt (both forms), Fn::Join, Fn::Split, Fn::Select, Fn::FindInMap', () => {
  const r = makeResolver(fixture(), opts())
  assert.equal(r.resolve({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }), resources.DeadLetterQueue.Arn)
  assert.equal(r.resolve({ 'Fn::GetAtt': 'DeadLetterQueue.Arn' }), resources.DeadLetterQueue.Arn)
  assert.throws(() => r.resolve({ 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] }), /needs a value: give "resources"/)
  assert.throws(() => r.resolve({ Ref: 'DeadLetterQueue' }), /needs a value/)
  assert.equal(r.resolve({ 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }, 'b']] }), 'a-us-east-1-b')
  assert.deepEqual(r.resolve({ 'Fn::Split': ['@', { Ref: 'SenderEmail' }] }), ['it', 'example.com'])
  assert.equal(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['@', { Ref: 'SenderEmail' }] }] }), 'example.com')
  assert.equal(r.resolve({ 'Fn::FindInMap': ['Stage', 'prod', 'LogPrefix'] }), '/aws/lambda/prod-')
  assert.throws(() => r.resolve({ 'Fn::Join': [{ 'Fn::Sub': ',' }, ['a']] }), /delimiter must be a literal string/)
  assert.throws(() => r.resolve({ 'Fn::ImportValue': 'x' }), /unsupported intrinsic function Fn::ImportValue/)
  assert.throws(() => r.resolve({ 'Fn::GetAZs': '' }), /unsupported/)
})

test('conditions: Fn::Equals (string/number), Fn::Not, Fn::And, Fn::Or, Condition; Fn::If and AWS::NoValue', () => {
  const off = makeResolver(fixture(), opts())
  assert.equal(off.condition('HasBoundary'), false)
  assert.equal(off.condition('NoBoundary'), true)
  assert.equal(off.condition('NoConcurrency'), false)
  assert.equal(off.condition('BoundaryOrNoConcurrency'), false)
  const zero = makeResolver(fixture(), opts({ Concurrency: 0 }))
  assert.equal(zero.condition('NoConcurrency'), true, 'Ref of a Number parameter "0" equals the literal 0')
  assert.equal(zero.condition('BoundaryOrNoConcurrency'), true)
  const on = makeResolver(fixture(), opts({ BoundaryEnabled: 'true', Concurrency: '5' }))
  assert.equal(on.condition('BoundaryAndConcurrency'), true)
  assert.deepEqual(off.resolve(['a', { 'Fn::If': ['HasBoundary', 'b', { Ref: 'AWS::NoValue' }] }, 'c']), ['a', 'c'])
  assert.deepEqual(off.resolve({ k: { 'Fn::If': ['HasBoundary', 'b', { Ref: 'AWS::NoValue' }] }, j: 1 }), { j: 1 })
  assert.equal(on.resolve({ 'Fn::If': ['HasBoundary', 'yes', 'no'] }), 'yes')
  assert.throws(() => off.resolve({ 'Fn::If': ['Nope', 'a', 'b'] }), /unknown condition Nope/)
})

test('parameter errors: missing value without Default, undeclared parameter, list for a String', () => {
  assert.throws(() => makeResolver(fixture(), { pseudo: { 'AWS::AccountId': A } }).resolve({ Ref: 'SenderEmail' }), /no Default and no value/)
  assert.throws(() => makeResolver(fixture(), opts({ Bogus: 'x' })), /not declared/)
  assert.throws(() => makeResolver(fixture(), opts({ UserPath: ['/a/'] })).resolve({ Ref: 'UserPath' }), /a list was given/)
  assert.throws(() => makeResolver(fixture(), { parameters: {} }), /AWS::AccountId is required/)
})

test('rolePolicies, default parameters: inline + AWS managed + AWS::IAM::Policy, no boundary', () => {
  const res = rolePolicies(fixture(), 'OnboardingRole', opts())
  const names = res.identityPolicies.map((p) => p.name)
  assert.deepEqual(names, ['OnboardingRole/onboarding', 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'DeadLetterPolicy'])
  assert.deepEqual(res.permissionBoundaryPolicies, [])
  const s = statements(res)
  assert.equal(s.ReadUsersUnderPath.Resource, `arn:aws:iam::${A}:user/employees/*`)
  assert.deepEqual(s.AddToAllowedGroups.Resource, [`arn:aws:iam::${A}:group/Developers`, `arn:aws:iam::${A}:group/ReadOnly`])
  assert.deepEqual(s.SendFromSender.Resource, [`arn:aws:ses:us-east-1:${A}:identity/it@example.com`, `arn:aws:ses:us-east-1:${A}:identity/example.com`])
  assert.deepEqual(s.SendFromSender.Condition, { StringEquals: { 'ses:FromAddress': 'it@example.com' } })
  assert.deepEqual(s.CreateUsers.Condition, { StringEquals: { 'aws:RequestTag/ManagedBy': 'iam-onboarding' } })
  assert.equal(s.AttachOnlySelfManage.Condition.ArnEquals['iam:PolicyARN'], resources.SelfManagePolicy.Ref)
  assert.equal(s.PublishAlarms.Resource, `arn:aws:sns:us-east-1:${A}:alarms`)
  assert.equal(s.PublishWhenBounded.Resource, 'arn:aws:sns:us-east-1:123456789012:never')
  assert.equal(s.WriteLogs.Resource, `arn:aws:logs:us-east-1:${A}:log-group:/aws/lambda/prod-fixture-stack:*`)
  assert.equal(s.SendToDlq.Resource, resources.DeadLetterQueue.Arn)
  assert.ok(!('ListGroupsWhenConditional' in s))
})

test('rolePolicies, boundary enabled: template ManagedPolicy via Fn::If, PermissionsBoundary, conditional RolePolicy', () => {
  const res = rolePolicies(fixture(), 'OnboardingRole', opts({ BoundaryEnabled: 'true', Concurrency: 5 }))
  const names = res.identityPolicies.map((p) => p.name)
  assert.deepEqual(names, [
    'OnboardingRole/onboarding',
    'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    'SelfManagePolicy',
    'DeadLetterPolicy',
    'ConditionalRolePolicy'
  ])
  assert.deepEqual(res.permissionBoundaryPolicies.map((p) => p.name), ['EmployeeBoundary'])
  const s = statements(res)
  assert.equal(s.OwnKeys.Resource, 'arn:aws:iam::*:user/${aws:username}')
  assert.ok(!('PublishAlarms' in s), 'Fn::If NoBoundary -> AWS::NoValue removes the statement')
  assert.equal(s.PublishWhenBounded.Resource, `arn:aws:sns:us-east-1:${A}:bounded`)
  assert.deepEqual(s.CreateUsers.Condition.ArnEquals, { 'iam:PermissionsBoundary': resources.EmployeeBoundary.Ref })
})

test('rolePolicies errors: unknown role, not a role, role whose condition is false, unknown AWS managed policy', () => {
  assert.throws(() => rolePolicies(fixture(), 'Nope', opts()), /no resource Nope.*roles are: OnboardingRole, OnlyWithoutConcurrencyRole/)
  assert.throws(() => rolePolicies(fixture(), 'DeadLetterQueue', opts()), /not an AWS::IAM::Role/)
  assert.throws(() => rolePolicies(fixture(), 'OnlyWithoutConcurrencyRole', opts()), /condition NoConcurrency is false/)
  assert.equal(rolePolicies(fixture(), 'OnlyWithoutConcurrencyRole', opts({ Concurrency: 0 })).identityPolicies.length, 1)
  assert.throws(() => rolePolicies(fixture(), 'OnboardingRole', opts({}, { awsManagedPolicies: {} })), /AWSLambdaBasicExecutionRole.*not defined in this template/)
})

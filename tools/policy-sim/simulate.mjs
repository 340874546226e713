#!/usr/bin/env node
// Evaluates every scenario table in policies/scenarios/ (or the tables given as arguments)
// with @cloud-copilot/iam-simulate and compares each decision with the table's expectation.
//
//   node tools/policy-sim/simulate.mjs [--verbose] [TABLE.json ...]
//
// Prints one line per scenario. For a mismatch it prints the request, the expected and the
// actual decision and the simulator's explanation. Exit status: 0 when every scenario of
// every table matches; 1 on any mismatch; 2 on a malformed or unloadable table.
// Test-only tool: never shipped with the Lambda.

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'
import { buildSimulation, checkTable, loadPolicies, matches, TableError } from './lib/table.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCENARIO_DIR = path.join(ROOT, 'policies', 'scenarios')

const args = process.argv.slice(2)
const verbose = args.includes('--verbose') || args.includes('-v')
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node tools/policy-sim/simulate.mjs [--verbose] [TABLE.json ...]  (default: policies/scenarios/*.json)')
  process.exit(0)
}
const explicit = args.filter((a) => !a.startsWith('-'))
const tableFiles = explicit.length
  ? explicit.map((f) => path.resolve(f))
  : readdirSync(SCENARIO_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => path.join(SCENARIO_DIR, f))

const rel = (f) => path.relative(ROOT, f)
const list = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x])

function describeStatement(sa) {
  const e = sa.explain
  const sid = /^\d+$/.test(String(e.identifier)) ? `statement #${e.identifier}` : e.identifier
  const bits = []
  const res = [...list(e.resources).map((r) => ['Resource', r]), ...list(e.notResources).map((r) => ['NotResource', r])]
  if (res.length) {
    bits.push(
      `resource ${e.resourceMatch ? 'in scope' : 'out of scope'} (` +
        res
          .map(([kind, r]) => `${kind} ${r.resource}${r.resolvedValue && r.resolvedValue !== r.resource ? ` -> ${r.resolvedValue}` : ''}: ${r.matches ? 'matches the request' : r.mismatchReason ?? 'no match'}${r.errors ? ` [${r.errors.join('; ')}]` : ''}`)
          .join(', ') +
        ')'
    )
  }
  for (const c of list(e.conditions)) {
    const vals = list(c.values).map((v) => v.value).join('|')
    const why = c.matchedBecauseMissing ? ' (key absent: ...IfExists matches)' : c.failedBecauseMissing ? ' (key absent)' : ''
    bits.push(`condition ${c.operator} ${c.conditionKeyValue}=${vals}: ${c.matches ? 'true' : 'false'}${why}`)
  }
  return `[${e.effect}] ${sid} in ${sa.policyId}: ${e.matches ? 'APPLIES' : 'does not apply'}; ${bits.join('; ') || 'action matches'}`
}

function explain(analysis) {
  const out = []
  if (!analysis) return ['(no analysis returned)']
  const reasons = analysis.result === 'Allowed' ? getGrantReasons(analysis) : getDenialReasons(analysis)
  for (const r of reasons) {
    const where = r.statementId ? `statement ${r.statementId}` : r.statementIndex ? `statement #${r.statementIndex}` : 'no statement allows it'
    out.push(`${r.denialType ? `${r.denialType} deny` : 'allow'} from ${r.policyType}${r.policyIdentifier ? ` policy ${r.policyIdentifier}` : ''}: ${where}`)
  }
  for (const key of ['identityAnalysis', 'permissionBoundaryAnalysis']) {
    const a = analysis[key]
    if (!a) continue
    const all = [...a.denyStatements, ...a.allowStatements, ...a.unmatchedStatements]
    const relevant = all.filter((s) => s.actionMatch)
    if (key !== 'identityAnalysis') out.push(`${key}: ${a.result}`)
    for (const s of relevant) out.push(describeStatement(s))
    const others = all.length - relevant.length
    if (others) out.push(`${others} other statement(s) do not cover the action`)
  }
  return out
}

let mismatches = 0
let malformed = 0
let passed = 0
let lockouts = 0
const negativeControls = []

for (const file of tableFiles) {
  const name = rel(file)
  let table
  try {
    table = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    console.log(`ERROR ${name}: not valid JSON: ${e.message}`)
    malformed++
    continue
  }
  const problems = checkTable(table)
  if (problems.length) {
    console.log(`ERROR ${new TableError(name, problems).message}`)
    malformed++
    continue
  }
  let policies
  try {
    policies = loadPolicies(table, ROOT, name)
  } catch (e) {
    console.log(`ERROR ${e.message}`)
    malformed++
    continue
  }
  console.log(`== ${name}: ${table.description}`)
  if (table.negativeControl) console.log(`   (negative control: the expectations below record KNOWN DEFECTS of these policies)`)
  let tableFailures = 0
  for (const [i, s] of table.scenarios.entries()) {
    const sim = buildSimulation(table, s, policies)
    const label = `${name} #${i + 1} ${s.name}`
    const response = await runSimulation(sim, {})
    if (response.resultType === 'error') {
      console.log(`ERROR ${label}: the simulator rejected the request: ${response.errors.message}`)
      console.log(indent(JSON.stringify(response.errors, null, 2)))
      malformed++
      tableFailures++
      continue
    }
    const analyses = response.resultType === 'single' ? [response.result] : response.results
    const ignored = new Set(analyses.flatMap((r) => r.ignoredContextKeys ?? []))
    const bad = Object.keys(s.context ?? {}).filter((k) => [...ignored].some((x) => x.toLowerCase() === k.toLowerCase()))
    if (bad.length) {
      console.log(`ERROR ${label}: context key(s) ${bad.join(', ')} do not apply to ${s.action} on this resource (the simulator ignored them); fix the table`)
      malformed++
      tableFailures++
      continue
    }
    const actual = response.overallResult
    if (matches(s.expect, actual)) {
      passed++
      console.log(`ok    ${label}: ${actual}${s.expect === 'Denied' ? ' (expected Denied)' : ''}${table.negativeControl && /^DEFECT/.test(s.name) ? ' (defect reproduced)' : ''}`)
      if (table.negativeControl && s.action === 'iam:ChangePassword' && s.mfa !== true && actual === 'ExplicitlyDenied') {
        const by = analyses.flatMap((r) => getDenialReasons(r.analysis)).map((d) => `${d.policyIdentifier} ${d.statementId ?? '#' + d.statementIndex}`)
        console.log(`      LOCKOUT DETECTED: iam:ChangePassword without MFA is explicitly denied by ${by.join(', ')}: a forced-reset user cannot set a password at first sign-in`)
        lockouts++
      }
      if (verbose) for (const line of analyses.flatMap((r) => explain(r.analysis))) console.log(`        ${line}`)
    } else {
      mismatches++
      tableFailures++
      console.log(`FAIL  ${label}: expected ${s.expect}, got ${actual}`)
      console.log(`      request: ${JSON.stringify(sim.request)}`)
      if (s.note) console.log(`      note: ${s.note}`)
      console.log(`      simulator explanation:`)
      for (const line of analyses.flatMap((r) => explain(r.analysis))) console.log(`        ${line}`)
    }
  }
  if (table.negativeControl) {
    negativeControls.push({ name, ok: tableFailures === 0, count: table.scenarios.filter((s) => /^DEFECT/.test(s.name)).length })
  }
}

function indent(s) {
  return s.replace(/^/gm, '        ')
}

for (const nc of negativeControls) {
  console.log(
    nc.ok
      ? `NEGATIVE CONTROL ${nc.name}: all ${nc.count} recorded defects reproduced: the simulator catches them`
      : `NEGATIVE CONTROL ${nc.name}: FAILED: the simulator no longer reproduces the recorded defects, so it cannot be trusted to catch them`
  )
}
if (negativeControls.length && lockouts === 0) {
  console.log('NEGATIVE CONTROL: no table reproduced the first-sign-in lockout (iam:ChangePassword without MFA ExplicitlyDenied)')
  malformed++
}
console.log(
  `${tableFiles.length} table(s); ${mismatches} mismatch(es); ${malformed} malformed or rejected table(s)/scenario(s)` +
    (negativeControls.length ? `; ${lockouts} first-sign-in lockout(s) detected in negative controls` : '')
)
console.log(`policy-sim: ${passed} passed, ${mismatches + malformed} failed`)
process.exit(malformed ? 2 : mismatches ? 1 : 0)

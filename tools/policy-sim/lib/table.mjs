// Reading and checking scenario tables (policies/scenarios/*.json) and turning one
// scenario into an @cloud-copilot/iam-simulate Simulation. The format is documented
// in policies/README.md; keep the two in step.

import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { rolePolicies, TemplateError } from './cfn.mjs'

export const EXPECTATIONS = ['Allowed', 'ImplicitlyDenied', 'ExplicitlyDenied', 'Denied']
const TABLE_KEYS = ['description', 'account', 'policies', 'negativeControl', 'scenarios']
const SCENARIO_KEYS = ['name', 'principal', 'mfa', 'action', 'resource', 'context', 'expect', 'note']
const TEMPLATE_KEYS = ['file', 'role', 'parameters', 'pseudo', 'resources', 'awsManagedPolicies']
const RESERVED_CONTEXT = ['aws:username', 'aws:multifactorauthpresent']
const USER_NAME = /^[\w+=,.@-]{1,64}$/
const USER_PATH = /^(\/|\/[\x21-\x7e]*\/)$/

const here = path.dirname(fileURLToPath(import.meta.url))
const AWS_MANAGED_DIR = path.join(here, '..', 'aws-managed')

export class TableError extends Error {
  constructor(file, problems) {
    super(`${file}: malformed table:\n  - ${problems.join('\n  - ')}`)
    this.problems = problems
  }
}

function readJson(file, what) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${e.message}`)
  }
}

/** Built-in AWS managed policy documents, keyed by ARN. */
export function builtinAwsManaged() {
  const index = readJson(path.join(AWS_MANAGED_DIR, 'index.json'), 'AWS managed policy index')
  const out = {}
  for (const [arn, v] of Object.entries(index)) {
    if (arn.startsWith('_')) continue
    out[arn] = readJson(path.join(AWS_MANAGED_DIR, v.file), 'AWS managed policy')
  }
  return out
}

/**
 * Checks a parsed table. Returns the list of problems (empty when the table is well formed).
 */
export function checkTable(t) {
  const p = []
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return ['the table must be a JSON object']
  for (const k of Object.keys(t)) if (!TABLE_KEYS.includes(k)) p.push(`unknown key "${k}" (allowed: ${TABLE_KEYS.join(', ')})`)
  if (typeof t.description !== 'string' || !t.description) p.push('"description" must be a non-empty string')
  if (typeof t.account !== 'string' || !/^\d{12}$/.test(t.account)) p.push('"account" must be a 12-digit string')
  if (t.negativeControl !== undefined && typeof t.negativeControl !== 'boolean') p.push('"negativeControl" must be true or false')
  const pol = t.policies
  if (pol === null || typeof pol !== 'object' || Array.isArray(pol)) {
    p.push('"policies" must be an object with "files" or "template"')
  } else {
    const keys = Object.keys(pol)
    if (keys.length !== 1 || !['files', 'template'].includes(keys[0])) {
      p.push('"policies" must have exactly one key: "files" or "template"')
    } else if (keys[0] === 'files') {
      if (!Array.isArray(pol.files) || pol.files.length === 0 || !pol.files.every((f) => typeof f === 'string' && f)) {
        p.push('"policies.files" must be a non-empty list of paths')
      }
    } else {
      const tp = pol.template
      if (tp === null || typeof tp !== 'object' || Array.isArray(tp)) {
        p.push('"policies.template" must be an object')
      } else {
        for (const k of Object.keys(tp)) if (!TEMPLATE_KEYS.includes(k)) p.push(`unknown key "policies.template.${k}" (allowed: ${TEMPLATE_KEYS.join(', ')})`)
        if (typeof tp.file !== 'string' || !tp.file) p.push('"policies.template.file" must be a path')
        if (typeof tp.role !== 'string' || !tp.role) p.push('"policies.template.role" must be the logical id of an AWS::IAM::Role')
        for (const k of ['parameters', 'pseudo', 'resources', 'awsManagedPolicies']) {
          if (tp[k] !== undefined && (tp[k] === null || typeof tp[k] !== 'object' || Array.isArray(tp[k]))) p.push(`"policies.template.${k}" must be an object`)
        }
      }
    }
  }
  if (!Array.isArray(t.scenarios) || t.scenarios.length === 0) {
    p.push('"scenarios" must be a non-empty list')
    return p
  }
  const names = new Set()
  t.scenarios.forEach((s, i) => {
    const at = `scenario #${i + 1}${s && typeof s.name === 'string' ? ` "${s.name}"` : ''}`
    if (s === null || typeof s !== 'object' || Array.isArray(s)) return p.push(`${at}: must be an object`)
    for (const k of Object.keys(s)) if (!SCENARIO_KEYS.includes(k)) p.push(`${at}: unknown key "${k}" (allowed: ${SCENARIO_KEYS.join(', ')})`)
    if (typeof s.name !== 'string' || !s.name) p.push(`${at}: "name" must be a non-empty string`)
    else if (names.has(s.name)) p.push(`${at}: duplicate name`)
    else names.add(s.name)
    const pr = s.principal
    if (pr === null || typeof pr !== 'object' || Array.isArray(pr)) {
      p.push(`${at}: "principal" must be {"user": NAME, "path": PATH} or {"role": SESSION_ARN}`)
    } else if ('user' in pr) {
      for (const k of Object.keys(pr)) if (!['user', 'path'].includes(k)) p.push(`${at}: unknown principal key "${k}"`)
      if (typeof pr.user !== 'string' || !USER_NAME.test(pr.user)) p.push(`${at}: principal.user must be an IAM user name ([\\w+=,.@-]{1,64})`)
      if (pr.path !== undefined && (typeof pr.path !== 'string' || !USER_PATH.test(pr.path) || pr.path.length > 512)) {
        p.push(`${at}: principal.path must be "/" or "/.../"`)
      }
    } else if ('role' in pr) {
      for (const k of Object.keys(pr)) if (k !== 'role') p.push(`${at}: unknown principal key "${k}"`)
      if (typeof pr.role !== 'string' || !/^arn:[\w-]+:(sts|iam)::\d{12}:(assumed-role|role)\/.+/.test(pr.role)) {
        p.push(`${at}: principal.role must be a role or assumed-role ARN`)
      }
    } else {
      p.push(`${at}: "principal" must have "user" or "role"`)
    }
    if (s.mfa !== undefined && s.mfa !== null && typeof s.mfa !== 'boolean') p.push(`${at}: "mfa" must be true, false or null`)
    if (typeof s.action !== 'string' || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(s.action)) {
      p.push(`${at}: "action" must be one explicit action such as "iam:ChangePassword" (no wildcards)`)
    }
    if (typeof s.resource !== 'string' || !(s.resource === '*' || s.resource.startsWith('arn:'))) {
      p.push(`${at}: "resource" must be an ARN or "*"`)
    }
    if (s.context !== undefined) {
      if (s.context === null || typeof s.context !== 'object' || Array.isArray(s.context)) {
        p.push(`${at}: "context" must be an object`)
      } else {
        for (const [k, v] of Object.entries(s.context)) {
          if (RESERVED_CONTEXT.includes(k.toLowerCase())) p.push(`${at}: context key ${k} is set from "principal"/"mfa"; do not set it in "context"`)
          const ok = (x) => ['string', 'number', 'boolean'].includes(typeof x)
          if (!(ok(v) || (Array.isArray(v) && v.every(ok)))) p.push(`${at}: context value of ${k} must be a string, number, boolean or a list of them`)
        }
      }
    }
    if (!EXPECTATIONS.includes(s.expect)) p.push(`${at}: "expect" must be one of ${EXPECTATIONS.join(', ')}`)
    if (s.note !== undefined && typeof s.note !== 'string') p.push(`${at}: "note" must be a string`)
  })
  return p
}

/**
 * Loads the policies a table names. Paths are relative to the repository root.
 * @returns {{identityPolicies: {name:string, policy:object}[], permissionBoundaryPolicies: {name:string, policy:object}[]}}
 */
export function loadPolicies(table, root, tableFile) {
  if (table.policies.files) {
    return {
      identityPolicies: table.policies.files.map((f) => ({ name: f, policy: readJson(path.join(root, f), 'policy') })),
      permissionBoundaryPolicies: []
    }
  }
  const tp = table.policies.template
  const file = path.join(root, tp.file)
  if (!existsSync(file)) {
    throw new Error(
      `${tableFile}: ${tp.file} does not exist. It is the SAM-transformed CloudFormation JSON of template.yaml: ` +
        `run scripts/lint-template.sh first, then re-run the simulator.`
    )
  }
  const template = readJson(file, 'CloudFormation template')
  const awsManaged = builtinAwsManaged()
  for (const [arn, f] of Object.entries(tp.awsManagedPolicies ?? {})) awsManaged[arn] = readJson(path.join(root, f), 'AWS managed policy')
  try {
    return rolePolicies(template, tp.role, {
      parameters: tp.parameters,
      pseudo: { 'AWS::AccountId': table.account, ...(tp.pseudo ?? {}) },
      resources: tp.resources,
      awsManagedPolicies: awsManaged
    })
  } catch (e) {
    if (e instanceof TemplateError) throw new Error(`${tableFile}: cannot load role ${tp.role} from ${tp.file}: ${e.message}`)
    throw e
  }
}

export function principalArn(table, principal) {
  if (principal.user !== undefined) return `arn:aws:iam::${table.account}:user${principal.path ?? '/'}${principal.user}`
  return principal.role
}

/** The request context the simulator (and scripts/simulate-real-iam.py) use for a scenario. */
export function requestContext(scenario) {
  const ctx = {}
  if (scenario.principal.user !== undefined) ctx['aws:username'] = scenario.principal.user
  if (scenario.mfa === true || scenario.mfa === false) ctx['aws:MultiFactorAuthPresent'] = String(scenario.mfa)
  for (const [k, v] of Object.entries(scenario.context ?? {})) ctx[k] = Array.isArray(v) ? v.map(String) : String(v)
  return ctx
}

export function resourceAccount(table, resource) {
  const parts = resource.split(':')
  return parts.length >= 5 && /^\d{12}$/.test(parts[4]) ? parts[4] : table.account
}

/** Builds the iam-simulate Simulation for one scenario. */
export function buildSimulation(table, scenario, policies) {
  return {
    request: {
      principal: principalArn(table, scenario.principal),
      action: scenario.action,
      resource: { resource: scenario.resource, accountId: resourceAccount(table, scenario.resource) },
      contextVariables: requestContext(scenario)
    },
    identityPolicies: policies.identityPolicies,
    permissionBoundaryPolicies: policies.permissionBoundaryPolicies.length ? policies.permissionBoundaryPolicies : undefined,
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
}

export function matches(expect, actual) {
  if (expect === 'Denied') return actual === 'ImplicitlyDenied' || actual === 'ExplicitlyDenied'
  return expect === actual
}

export { TemplateError }

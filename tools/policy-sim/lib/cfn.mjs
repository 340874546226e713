// Loads the IAM policies of one AWS::IAM::Role from a CloudFormation JSON template
// (the SAM-transformed output of template.yaml) and resolves the intrinsic functions in
// them with caller-supplied parameter, pseudo-parameter and resource values.
//
// Supported: Ref, Fn::Sub (string and [string, vars] forms, ${!Literal}), Fn::GetAtt
// (array and "A.B" forms), Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::If with
// Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, {"Condition": name}), AWS::NoValue.
// Anything else (Fn::ImportValue, Fn::GetAZs, an unknown resource...) is an error: a
// policy that cannot be resolved exactly must not be simulated approximately.

export class TemplateError extends Error {}

const NO_VALUE = Symbol('AWS::NoValue')

const DEFAULT_PSEUDO = {
  'AWS::Region': 'us-east-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'policy-sim-stack',
  'AWS::NotificationARNs': []
}

/**
 * @param {object} template parsed CloudFormation JSON
 * @param {object} opts
 * @param {Record<string, string|string[]>} [opts.parameters] template parameter values
 * @param {Record<string, string>} [opts.pseudo] pseudo parameters (AWS::AccountId, ...)
 * @param {Record<string, Record<string,string>>} [opts.resources] per logical id: {"Ref": v, "<Attr>": v}
 */
export function makeResolver(template, opts = {}) {
  if (!template || typeof template !== 'object' || typeof template.Resources !== 'object') {
    throw new TemplateError('template has no Resources section')
  }
  const params = opts.parameters ?? {}
  const resources = opts.resources ?? {}
  const pseudo = { ...DEFAULT_PSEUDO, ...(opts.pseudo ?? {}) }
  if (!pseudo['AWS::AccountId']) throw new TemplateError('pseudo parameter AWS::AccountId is required')
  if (!pseudo['AWS::StackId']) {
    pseudo['AWS::StackId'] =
      `arn:${pseudo['AWS::Partition']}:cloudformation:${pseudo['AWS::Region']}:` +
      `${pseudo['AWS::AccountId']}:stack/${pseudo['AWS::StackName']}/00000000-0000-0000-0000-000000000000`
  }
  const tplParams = template.Parameters ?? {}
  for (const name of Object.keys(params)) {
    if (!(name in tplParams)) throw new TemplateError(`parameter ${name} is given but not declared in the template`)
  }
  const conditionDefs = template.Conditions ?? {}
  const conditionCache = new Map()

  function paramValue(name) {
    const decl = tplParams[name]
    let v = name in params ? params[name] : decl.Default
    if (v === undefined) throw new TemplateError(`parameter ${name} has no Default and no value was given`)
    const isList = typeof decl.Type === 'string' && (decl.Type === 'CommaDelimitedList' || decl.Type.startsWith('List<'))
    if (isList) {
      if (Array.isArray(v)) return v.map(String)
      return String(v) === '' ? [] : String(v).split(',').map((s) => s.trim())
    }
    if (Array.isArray(v)) throw new TemplateError(`parameter ${name} is of type ${decl.Type} but a list was given`)
    return String(v)
  }

  function ref(name, where) {
    if (name === 'AWS::NoValue') return NO_VALUE
    if (name.startsWith('AWS::')) {
      if (!(name in pseudo)) throw new TemplateError(`${where}: unknown pseudo parameter ${name}`)
      return pseudo[name]
    }
    if (name in tplParams) return paramValue(name)
    if (name in template.Resources) {
      const r = resources[name]
      if (!r || r.Ref === undefined) {
        throw new TemplateError(`${where}: Ref ${name} (a ${template.Resources[name].Type}) needs a value: give "resources": {"${name}": {"Ref": "..."}}`)
      }
      return r.Ref
    }
    throw new TemplateError(`${where}: Ref to unknown name ${name}`)
  }

  function getAtt(logicalId, attr, where) {
    if (!(logicalId in template.Resources)) throw new TemplateError(`${where}: Fn::GetAtt of unknown resource ${logicalId}`)
    const r = resources[logicalId]
    if (!r || r[attr] === undefined) {
      throw new TemplateError(`${where}: Fn::GetAtt ${logicalId}.${attr} needs a value: give "resources": {"${logicalId}": {"${attr}": "..."}}`)
    }
    return r[attr]
  }

  function condition(name, where) {
    if (conditionCache.has(name)) {
      const v = conditionCache.get(name)
      if (v === 'pending') throw new TemplateError(`${where}: condition ${name} refers to itself`)
      return v
    }
    if (!(name in conditionDefs)) throw new TemplateError(`${where}: unknown condition ${name}`)
    conditionCache.set(name, 'pending')
    const v = evalCondition(conditionDefs[name], `Conditions.${name}`)
    conditionCache.set(name, v)
    return v
  }

  function evalCondition(node, where) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      throw new TemplateError(`${where}: a condition must be an object, got ${JSON.stringify(node)}`)
    }
    const keys = Object.keys(node)
    if (keys.length !== 1) throw new TemplateError(`${where}: a condition must have exactly one key`)
    const [fn] = keys
    const arg = node[fn]
    switch (fn) {
      case 'Condition':
        return condition(arg, where)
      case 'Fn::Equals': {
        if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(`${where}: Fn::Equals needs two values`)
        // CloudFormation compares the string forms: Ref of a Number parameter is "0", a literal may be 0.
        const norm = (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v)
        const [a, b] = arg.map((x, i) => norm(resolve(x, `${where}.Fn::Equals[${i}]`)))
        return JSON.stringify(a) === JSON.stringify(b)
      }
      case 'Fn::Not':
        if (!Array.isArray(arg) || arg.length !== 1) throw new TemplateError(`${where}: Fn::Not needs one condition`)
        return !evalCondition(arg[0], `${where}.Fn::Not`)
      case 'Fn::And':
      case 'Fn::Or': {
        if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10) {
          throw new TemplateError(`${where}: ${fn} needs 2 to 10 conditions`)
        }
        const vals = arg.map((c, i) => evalCondition(c, `${where}.${fn}[${i}]`))
        return fn === 'Fn::And' ? vals.every(Boolean) : vals.some(Boolean)
      }
      default:
        throw new TemplateError(`${where}: unsupported condition function ${fn}`)
    }
  }

  function sub(str, vars, where) {
    if (typeof str !== 'string') throw new TemplateError(`${where}: Fn::Sub needs a string`)
    return str.replace(/\$\{([^}]*)\}/g, (whole, inner) => {
      if (inner.startsWith('!')) return '${' + inner.slice(1) + '}'
      const name = inner.trim()
      if (name in vars) {
        const v = vars[name]
        if (typeof v !== 'string') throw new TemplateError(`${where}: Fn::Sub variable ${name} is not a string`)
        return v
      }
      if (name.startsWith('AWS::') || name in tplParams || (name in template.Resources && !name.includes('.'))) {
        const v = ref(name, where)
        if (typeof v !== 'string') throw new TemplateError(`${where}: \${${name}} does not resolve to a string`)
        return v
      }
      const dot = name.indexOf('.')
      if (dot > 0 && name.slice(0, dot) in template.Resources) {
        return getAtt(name.slice(0, dot), name.slice(dot + 1), where)
      }
      throw new TemplateError(
        `${where}: Fn::Sub cannot resolve \${${name}}` +
          (name.includes(':') ? ` (an IAM policy variable inside Fn::Sub must be written \${!${name}})` : '')
      )
    })
  }

  function resolve(node, where = '') {
    if (Array.isArray(node)) {
      const out = []
      node.forEach((x, i) => {
        const v = resolve(x, `${where}[${i}]`)
        if (v !== NO_VALUE) out.push(v)
      })
      return out
    }
    if (node === null || typeof node !== 'object') return node
    const keys = Object.keys(node)
    if (keys.length === 1) {
      const [fn] = keys
      const arg = node[fn]
      switch (fn) {
        case 'Ref':
          return ref(arg, where)
        case 'Fn::Sub': {
          if (typeof arg === 'string') return sub(arg, {}, where)
          if (Array.isArray(arg) && arg.length === 2) {
            const vars = {}
            for (const [k, v] of Object.entries(arg[1] ?? {})) vars[k] = resolve(v, `${where}.Fn::Sub.${k}`)
            return sub(arg[0], vars, where)
          }
          throw new TemplateError(`${where}: Fn::Sub needs a string or [string, {vars}]`)
        }
        case 'Fn::GetAtt': {
          let parts = arg
          if (typeof arg === 'string') {
            const dot = arg.indexOf('.')
            parts = [arg.slice(0, dot), arg.slice(dot + 1)]
          }
          if (!Array.isArray(parts) || parts.length !== 2) throw new TemplateError(`${where}: bad Fn::GetAtt`)
          return getAtt(parts[0], resolve(parts[1], where), where)
        }
        case 'Fn::Join': {
          if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(`${where}: Fn::Join needs [delimiter, list]`)
          if (typeof arg[0] !== 'string') throw new TemplateError(`${where}: the Fn::Join delimiter must be a literal string (CloudFormation allows no function there)`)
          const list = resolve(arg[1], `${where}.Fn::Join`)
          if (!Array.isArray(list)) throw new TemplateError(`${where}: Fn::Join needs a list`)
          return list.map((x) => {
            if (typeof x !== 'string') throw new TemplateError(`${where}: Fn::Join element is not a string: ${JSON.stringify(x)}`)
            return x
          }).join(arg[0])
        }
        case 'Fn::Select': {
          if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(`${where}: Fn::Select needs [index, list]`)
          const idx = Number(resolve(arg[0], where))
          const list = resolve(arg[1], where)
          if (!Array.isArray(list) || !(idx >= 0 && idx < list.length)) throw new TemplateError(`${where}: Fn::Select index out of range`)
          return list[idx]
        }
        case 'Fn::Split': {
          if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(`${where}: Fn::Split needs [delimiter, string]`)
          if (typeof arg[0] !== 'string') throw new TemplateError(`${where}: the Fn::Split delimiter must be a literal string`)
          const s = resolve(arg[1], where)
          if (typeof s !== 'string') throw new TemplateError(`${where}: Fn::Split needs a string`)
          return s.split(arg[0])
        }
        case 'Fn::FindInMap': {
          if (!Array.isArray(arg) || arg.length !== 3) throw new TemplateError(`${where}: Fn::FindInMap needs 3 arguments`)
          const [m, k1, k2] = arg.map((x) => resolve(x, where))
          const v = template.Mappings?.[m]?.[k1]?.[k2]
          if (v === undefined) throw new TemplateError(`${where}: Fn::FindInMap ${m}.${k1}.${k2} not found`)
          return v
        }
        case 'Fn::If': {
          if (!Array.isArray(arg) || arg.length !== 3) throw new TemplateError(`${where}: Fn::If needs [condition, then, else]`)
          return condition(arg[0], where) ? resolve(arg[1], `${where}.Fn::If[1]`) : resolve(arg[2], `${where}.Fn::If[2]`)
        }
        default:
          if (fn.startsWith('Fn::')) throw new TemplateError(`${where}: unsupported intrinsic function ${fn}`)
      }
    }
    const out = {}
    for (const [k, v] of Object.entries(node)) {
      const r = resolve(v, `${where}.${k}`)
      if (r !== NO_VALUE) out[k] = r
    }
    return out
  }

  return { resolve, condition, NO_VALUE }
}

function refersTo(node, logicalId) {
  return node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length === 1 && node.Ref === logicalId
}

/**
 * Collects the identity policies (and permissions boundary) of one role.
 *
 * @returns {{identityPolicies: {name: string, policy: object}[], permissionBoundaryPolicies: {name: string, policy: object}[]}}
 */
export function rolePolicies(template, roleId, opts = {}) {
  const r = makeResolver(template, opts)
  const res = template.Resources
  const role = res[roleId]
  if (!role) {
    const roles = Object.entries(res).filter(([, v]) => v.Type === 'AWS::IAM::Role').map(([k]) => k)
    throw new TemplateError(`no resource ${roleId} in the template; its roles are: ${roles.join(', ') || '(none)'}`)
  }
  if (role.Type !== 'AWS::IAM::Role') throw new TemplateError(`${roleId} is a ${role.Type}, not an AWS::IAM::Role`)
  if (role.Condition && !r.condition(role.Condition, roleId)) {
    throw new TemplateError(`${roleId} is not created with these parameters (its condition ${role.Condition} is false)`)
  }
  const awsManaged = opts.awsManagedPolicies ?? {}
  const props = role.Properties ?? {}
  const identityPolicies = []
  const permissionBoundaryPolicies = []

  const inline = r.resolve(props.Policies ?? [], `${roleId}.Policies`)
  for (const p of inline) {
    if (!p.PolicyName || !p.PolicyDocument) throw new TemplateError(`${roleId}: inline policy without PolicyName/PolicyDocument`)
    identityPolicies.push({ name: `${roleId}/${p.PolicyName}`, policy: p.PolicyDocument })
  }

  const managedPolicyFor = (raw, where) => {
    while (raw && typeof raw === 'object' && !Array.isArray(raw) && raw['Fn::If']) raw = resolveIfShallow(r, raw)
    if (raw === r.NO_VALUE) return null
    // A Ref (or GetAtt ...PolicyArn) to an AWS::IAM::ManagedPolicy in this template: use its document.
    for (const [id, v] of Object.entries(res)) {
      if (v.Type !== 'AWS::IAM::ManagedPolicy') continue
      if (refersTo(raw, id) || (raw?.['Fn::GetAtt'] && [].concat(raw['Fn::GetAtt']).join('.').startsWith(`${id}.`))) {
        if (v.Condition && !r.condition(v.Condition, id)) return null
        return { name: id, policy: r.resolve(v.Properties.PolicyDocument, `${id}.PolicyDocument`) }
      }
    }
    const arn = r.resolve(raw, where)
    if (arn === r.NO_VALUE) return null
    // A resolved ARN equal to the Ref value given for a template ManagedPolicy is that policy too.
    for (const [id, v] of Object.entries(res)) {
      if (v.Type === 'AWS::IAM::ManagedPolicy' && opts.resources?.[id]?.Ref === arn) {
        if (v.Condition && !r.condition(v.Condition, id)) return null
        return { name: id, policy: r.resolve(v.Properties.PolicyDocument, `${id}.PolicyDocument`) }
      }
    }
    if (typeof arn === 'string' && arn in awsManaged) return { name: arn, policy: awsManaged[arn] }
    throw new TemplateError(
      `${where}: managed policy ${JSON.stringify(arn)} is not defined in this template; its document is unknown ` +
        `to the simulator. Add it to "awsManagedPolicies" (ARN -> local JSON file) in the scenario table.`
    )
  }

  const arns = props.ManagedPolicyArns
  if (arns !== undefined) {
    const list = refersTo(arns, 'AWS::NoValue') ? [] : arns
    if (!Array.isArray(list)) {
      // e.g. Fn::If around the whole list
      const resolved = r.resolve(list, `${roleId}.ManagedPolicyArns`)
      if (!Array.isArray(resolved)) throw new TemplateError(`${roleId}.ManagedPolicyArns is not a list`)
      resolved.forEach((arn, i) => {
        const p = managedPolicyFor(arn, `${roleId}.ManagedPolicyArns[${i}]`)
        if (p) identityPolicies.push(p)
      })
    } else {
      list.forEach((raw, i) => {
        const p = managedPolicyFor(raw, `${roleId}.ManagedPolicyArns[${i}]`)
        if (p) identityPolicies.push(p)
      })
    }
  }

  // Policies attached from the other side: AWS::IAM::Policy / ManagedPolicy with Roles, AWS::IAM::RolePolicy.
  for (const [id, v] of Object.entries(res)) {
    if (v.Condition && !r.condition(v.Condition, id)) continue
    const p = v.Properties ?? {}
    if ((v.Type === 'AWS::IAM::Policy' || v.Type === 'AWS::IAM::ManagedPolicy') && Array.isArray(p.Roles)) {
      if (p.Roles.some((x) => refersTo(x, roleId))) {
        const already = identityPolicies.some((ip) => ip.name === id)
        if (!already) identityPolicies.push({ name: id, policy: r.resolve(p.PolicyDocument, `${id}.PolicyDocument`) })
      }
    }
    if (v.Type === 'AWS::IAM::RolePolicy' && refersTo(p.RoleName, roleId)) {
      identityPolicies.push({ name: id, policy: r.resolve(p.PolicyDocument, `${id}.PolicyDocument`) })
    }
  }

  if (props.PermissionsBoundary !== undefined) {
    const pb = managedPolicyFor(props.PermissionsBoundary, `${roleId}.PermissionsBoundary`)
    if (pb) permissionBoundaryPolicies.push(pb)
  }

  if (identityPolicies.length === 0) throw new TemplateError(`${roleId} has no policies`)
  return { identityPolicies, permissionBoundaryPolicies }
}

// For a ManagedPolicyArns element of the form Fn::If [cond, a, b]: pick the branch without
// resolving it, so that a Ref to a template ManagedPolicy is still recognised.
function resolveIfShallow(r, node) {
  const args = node['Fn::If']
  if (!Array.isArray(args) || args.length !== 3) throw new TemplateError('Fn::If needs [condition, then, else]')
  const [cond, a, b] = args
  const chosen = r.condition(cond, 'ManagedPolicyArns') ? a : b
  if (refersTo(chosen, 'AWS::NoValue')) return r.NO_VALUE
  return chosen
}

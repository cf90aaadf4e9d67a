// The cfcp GitHub Action: runs `check` through cfcp's Node binding and speaks the runner's
// protocol by hand (no @actions/core): inputs from INPUT_* variables, outputs and the job
// summary appended to the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name, annotations and
// failure as `::error` / `::warning` workflow commands on stdout.
//
// The binding is `require('cfcp')` when the action is packaged with it (see README.md), else
// this repository's bindings-node built by `npm run build`.

import { randomUUID } from 'node:crypto'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, resolve } from 'node:path'

const require = createRequire(import.meta.url)

function loadBinding() {
  try {
    return require('cfcp')
  } catch {
    return require('../../bindings-node/cfcp.js')
  }
}

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical']

/** An input as the runner passes it: `INPUT_` + the name upper-cased, spaces as `_`, dashes kept. */
export function input(name, env = process.env) {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
}

/** Workflow-command escaping of a message, and of a property value (which also escapes `:` `,`). */
export function escapeData(text) {
  return String(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}
export function escapeProperty(text) {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/** `name<<DELIMITER` / value / `DELIMITER`: safe for values with newlines. */
function setOutput(env, name, value) {
  const file = env.GITHUB_OUTPUT
  if (!file) {
    console.log(`${name}=${value}`)
    return
  }
  const delimiter = `ghadelimiter_${randomUUID()}`
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`)
}

/** The severity rank at which findings fail the step; `null` for never. */
export function threshold(failOn) {
  const value = (failOn || 'info').toLowerCase()
  if (value === 'none' || value === 'never') return null
  const rank = SEVERITIES.indexOf(value)
  if (rank < 0) throw new Error(`fail-on: unknown severity "${failOn}"; one of ${[...SEVERITIES].reverse().join(', ')}, none`)
  return rank
}

function render(report, format, artifact) {
  switch (format) {
    case 'text':
      return { text: report.toText(), ext: 'txt' }
    case 'json':
      return { text: report.toJson(), ext: 'json' }
    case 'markdown':
      return { text: report.toMarkdown(), ext: 'md' }
    case 'junit':
      return { text: report.toJunit(), ext: 'xml' }
    case 'gitlab':
      return { text: report.toGitlab(artifact), ext: 'json' }
    case 'sarif':
      return { text: report.toSarif(artifact), ext: 'sarif' }
    default:
      throw new Error(`format: unknown format "${format}"; one of text, json, markdown, junit, gitlab, sarif`)
  }
}

function summaryTable(report, failOn, snapshotName) {
  const s = report.summary
  const rows = [
    '| checks | passed | failed | muted | unknown | compliance | fail-on |',
    '|---:|---:|---:|---:|---:|---:|---|',
    `| ${s.checks} | ${s.passed} | ${s.failed} | ${s.muted} | ${s.unknown} | ${s.complianceRate}% | ${failOn} |`,
  ]
  return `## cfcp check: ${snapshotName}\n\n${rows.join('\n')}\n\n`
}

/** Runs the action with the given environment; returns the exit code. */
export async function main(env = process.env) {
  const workspace = env.GITHUB_WORKSPACE || process.cwd()
  const inWorkspace = (p) => (isAbsolute(p) ? p : resolve(workspace, p))
  try {
    const cfcp = loadBinding()
    const failOn = input('fail-on', env) || 'info'
    const rank = threshold(failOn)
    const format = (input('format', env) || 'text').toLowerCase()
    const snapshotInput = input('snapshot', env)
    const token = input('api-token', env)
    const zones = input('zones', env)
      .split(',')
      .map((z) => z.trim())
      .filter(Boolean)
    const planInput = input('terraform-plan', env)
    let snapshot
    let artifact
    if (planInput) {
      // The state a merge request would produce, checked before anything is applied.
      snapshot = cfcp.Snapshot.fromTerraform(readFileSync(inWorkspace(planInput), 'utf8'), planInput)
      artifact = planInput
    } else if (snapshotInput) {
      snapshot = cfcp.Snapshot.load(inWorkspace(snapshotInput))
      artifact = snapshotInput
    } else if (token) {
      const client = new cfcp.Client({ token, baseUrl: env.CLOUDFLARE_BASE_URL || undefined })
      snapshot = await client.snapshot({ zones })
    } else {
      throw new Error('give a snapshot file (input snapshot) or an API token (input api-token) for the live account')
    }
    const options = { zones }
    if (input('policy-dir', env)) options.policyDir = inWorkspace(input('policy-dir', env))
    if (input('waivers', env)) options.waivers = inWorkspace(input('waivers', env))
    const report = cfcp.check(snapshot, options)

    const sarifFile = inWorkspace(input('sarif-file', env) || 'cfcp.sarif')
    writeFileSync(sarifFile, report.toSarif(artifact))
    const rendered = render(report, format, artifact)
    const reportFile = join(dirname(sarifFile), `cfcp-report.${rendered.ext}`)
    if (format !== 'sarif') writeFileSync(reportFile, rendered.text)
    console.log(rendered.text)

    const failures = report.failures()
    let blocking = 0
    for (const f of failures) {
      const blocks = rank !== null && SEVERITIES.indexOf(f.severity) >= rank
      if (blocks) blocking++
      const where = artifact ? `file=${escapeProperty(artifact)},` : ''
      const title = escapeProperty(`${f.checkId} (${f.severity})`)
      const message = escapeData(`${f.resource.name}: ${f.message}\nFix: ${f.remediation.text}`)
      console.log(`::${blocks ? 'error' : 'warning'} ${where}title=${title}::${message}`)
    }

    if (env.GITHUB_STEP_SUMMARY) {
      const markdown = report.toMarkdown({ title: 'Findings', maxRows: 50 })
      appendFileSync(env.GITHUB_STEP_SUMMARY, summaryTable(report, failOn, artifact ?? 'live account') + markdown + '\n')
    }
    setOutput(env, 'failed', String(report.summary.failed))
    setOutput(env, 'compliance-rate', String(report.summary.complianceRate))
    setOutput(env, 'sarif-file', sarifFile)
    setOutput(env, 'report-file', format === 'sarif' ? sarifFile : reportFile)

    if (blocking > 0) {
      console.log(escapeCommand(`cfcp: ${blocking} failing finding(s) at or above ${failOn}`))
      return 1
    }
    return 0
  } catch (err) {
    const code = err?.code ? ` (${err.code})` : ''
    console.log(escapeCommand(`cfcp${code}: ${err?.message ?? err}`))
    return 1
  }
}

function escapeCommand(message) {
  return `::error::${escapeData(message)}`
}

// Run when the runner starts this file (not when a test imports it).
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main()
}

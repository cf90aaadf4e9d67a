// Runs the action's entry point the way the runner does: `node index.mjs` with INPUT_* variables
// (upper-cased, dashes kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, in a workspace.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { escapeData, escapeProperty, input, threshold } from '../index.mjs'

const ACTION = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ROOT = resolve(ACTION, '..', '..')
const SNAPSHOT = 'examples/snapshots/demo.json'
const cfcp = (await import('node:module')).createRequire(import.meta.url)('../../../bindings-node/cfcp.js')

/** Parses the runner's output file: `name=value` lines and `name<<DELIM` ... `DELIM` blocks. */
function parseOutputs(text) {
  const outputs = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = lines[i].match(/^([^=<]+)<<(.+)$/)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value = []
      while (lines[++i] !== delimiter) {
        assert.ok(i < lines.length, `unterminated output ${name}`)
        value.push(lines[i])
      }
      outputs[name] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

function runAction(inputs) {
  const dir = mkdtempSync(join(tmpdir(), 'cfcp-action-'))
  const files = { output: join(dir, 'output.txt'), summary: join(dir, 'summary.md') }
  writeFileSync(files.output, '')
  writeFileSync(files.summary, '')
  const env = { PATH: process.env.PATH, GITHUB_WORKSPACE: ROOT, GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary }
  for (const [name, value] of Object.entries({ 'sarif-file': join(dir, 'cfcp.sarif'), ...inputs })) {
    env[`INPUT_${name.toUpperCase()}`] = value
  }
  const run = spawnSync(process.execPath, [join(ACTION, 'index.mjs')], { cwd: ROOT, env, encoding: 'utf8' })
  return {
    dir,
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    outputs: parseOutputs(readFileSync(files.output, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
  }
}

const expected = cfcp.check(cfcp.Snapshot.load(join(ROOT, SNAPSHOT)))

test('fail-on high: annotations, summary, SARIF, outputs, and a failed step', () => {
  const run = runAction({ snapshot: SNAPSHOT, 'fail-on': 'high' })
  assert.equal(run.status, 1, run.stderr)
  assert.equal(run.outputs.failed, String(expected.summary.failed))
  assert.equal(run.outputs['compliance-rate'], String(expected.summary.complianceRate))
  assert.equal(run.outputs['sarif-file'], join(run.dir, 'cfcp.sarif'))
  assert.equal(run.outputs['report-file'], join(run.dir, 'cfcp-report.txt'))
  const sarif = JSON.parse(readFileSync(run.outputs['sarif-file'], 'utf8'))
  assert.equal(sarif.version, '2.1.0')
  // Every FAIL is a result (UNKNOWN and MUTED findings come as review items and suppressions).
  const results = sarif.runs[0].results
  assert.equal(results.filter((r) => r.properties.status === 'FAIL').length, expected.summary.failed)
  assert.equal(results.length, expected.summary.failed + expected.summary.unknown + expected.summary.muted)
  assert.equal(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, SNAPSHOT)

  const failures = expected.failures()
  const blocking = failures.filter((f) => f.severity === 'high' || f.severity === 'critical')
  const lines = run.stdout.split('\n')
  const errors = lines.filter((l) => l.startsWith(`::error file=${SNAPSHOT},title=`))
  const warnings = lines.filter((l) => l.startsWith(`::warning file=${SNAPSHOT},title=`))
  assert.ok(blocking.length > 0 && blocking.length < failures.length)
  assert.equal(errors.length, blocking.length)
  assert.equal(warnings.length, failures.length - blocking.length)
  assert.ok(errors.some((l) => l.includes(escapeProperty(`${blocking[0].checkId} (${blocking[0].severity})`))))
  assert.ok(lines.includes(`::error::cfcp: ${blocking.length} failing finding(s) at or above high`))

  assert.match(run.summary, /^## cfcp check: examples\/snapshots\/demo\.json/)
  const s = expected.summary
  assert.ok(run.summary.includes(`| ${s.checks} | ${s.passed} | ${s.failed} | ${s.muted} | ${s.unknown} | ${s.complianceRate}% | high |`))
  assert.ok(run.summary.includes(failures[0].checkId))
  assert.equal(readFileSync(run.outputs['report-file'], 'utf8'), expected.toText())
})

test('fail-on none passes with warnings; format json writes the report contract', () => {
  const run = runAction({ snapshot: SNAPSHOT, 'fail-on': 'none', format: 'json' })
  assert.equal(run.status, 0, run.stdout)
  assert.ok(!run.stdout.split('\n').some((l) => l.startsWith('::error')))
  assert.equal(run.stdout.split('\n').filter((l) => l.startsWith('::warning')).length, expected.summary.failed)
  const report = JSON.parse(readFileSync(run.outputs['report-file'], 'utf8'))
  assert.equal(report.format, 'cfcp.report/v1')
  assert.equal(report.findings.length, expected.length)
})

test('the default fail-on fails on any FAIL; waivers and zones are passed on', () => {
  assert.equal(runAction({ snapshot: SNAPSHOT }).status, 1)
  const zone = runAction({ snapshot: SNAPSHOT, zones: 'acme-api.io', 'fail-on': 'none' })
  const oneZone = cfcp.check(cfcp.Snapshot.load(join(ROOT, SNAPSHOT)), { zones: ['acme-api.io'] })
  assert.equal(zone.outputs.failed, String(oneZone.summary.failed))
  const dir = mkdtempSync(join(tmpdir(), 'cfcp-waivers-'))
  const waivers = join(dir, 'waivers.json')
  writeFileSync(waivers, JSON.stringify([{ check_id: expected.failures()[0].checkId, resource: '*', reason: 'r', expires: '2999-01-01' }]))
  const waived = runAction({ snapshot: SNAPSHOT, waivers, 'fail-on': 'none' })
  assert.ok(Number(waived.outputs.failed) < expected.summary.failed)
})

test('bad inputs fail the step with an ::error:: line', () => {
  const missing = runAction({ snapshot: 'nope.json' })
  assert.equal(missing.status, 1)
  assert.match(missing.stdout, /^::error::cfcp \(E_IO\): cannot read .*nope\.json/m)
  const severity = runAction({ snapshot: SNAPSHOT, 'fail-on': 'severe' })
  assert.equal(severity.status, 1)
  assert.match(severity.stdout, /^::error::cfcp: fail-on: unknown severity "severe"/m)
  const nothing = runAction({})
  assert.equal(nothing.status, 1)
  assert.match(nothing.stdout, /^::error::cfcp: give a snapshot file/m)
  assert.equal(runAction({ snapshot: SNAPSHOT, format: 'pdf' }).status, 1)
})

test('the protocol helpers', () => {
  assert.equal(input('fail-on', { 'INPUT_FAIL-ON': ' high ' }), 'high')
  assert.equal(input('policy dir', { INPUT_POLICY_DIR: 'x' }), 'x')
  assert.equal(escapeData('50% a\r\nb'), '50%25 a%0D%0Ab')
  assert.equal(escapeProperty('a:b,c'), 'a%3Ab%2Cc')
  assert.equal(threshold('none'), null)
  assert.equal(threshold('HIGH'), 3)
  assert.equal(threshold(''), 0)
  assert.throws(() => threshold('severe'), /unknown severity/)
})

/** `terraform show -json` of a plan that sets `ssl` to `ssl` on one zone. */
function planJson(ssl) {
  const zone = '023e105f4ecef8ad9ca31a8372d0c353'
  const resource = (address, values) => {
    const [type, name] = address.split('.')
    return { address, mode: 'managed', type, name, values }
  }
  return JSON.stringify({
    format_version: '1.2',
    terraform_version: '1.9.0',
    planned_values: {
      root_module: {
        resources: [
          resource('cloudflare_zone.main', { id: zone, name: 'example.com' }),
          resource('cloudflare_zone_setting.ssl', { zone_id: zone, setting_id: 'ssl', value: ssl }),
        ],
      },
    },
    resource_changes: [],
  })
}

test('terraform-plan: the planned state is checked before anything is applied', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfcp-plan-'))
  const weak = join(dir, 'weak.json')
  const strict = join(dir, 'strict.json')
  writeFileSync(weak, planJson('flexible'))
  writeFileSync(strict, planJson('strict'))
  const bad = runAction({ 'terraform-plan': weak, 'fail-on': 'high', format: 'json' })
  assert.equal(bad.status, 1, bad.stdout + bad.stderr)
  const report = JSON.parse(readFileSync(join(bad.dir, 'cfcp-report.json'), 'utf8'))
  const failing = report.findings.filter((f) => f.status === 'FAIL').map((f) => f.check_id)
  assert.ok(failing.includes('zone_ssl_strict'), failing.join(', '))
  assert.match(bad.stdout, /::error .*zone_ssl_strict|zone_ssl_strict/)
  const good = runAction({ 'terraform-plan': strict, 'fail-on': 'high', format: 'json' })
  assert.equal(good.status, 0, good.stdout + good.stderr)
  // A file that is not Terraform's JSON fails the step with an ::error:: line.
  const garbage = join(dir, 'garbage.json')
  writeFileSync(garbage, '{"format_version": "1.2", "planned_values": ')
  const broken = runAction({ 'terraform-plan': garbage })
  assert.equal(broken.status, 1)
  assert.match(broken.stdout, /::error::/)
})

// check() and its Report; compliance() and frameworks().

import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { inspect } from 'node:util'

import { cfcp, ROOT, tempDir, throwsCode } from './helpers.mjs'

test('check gives findings as plain objects matching the report contract', () => {
  const report = cfcp.check(cfcp.Snapshot.demo())
  const { summary } = report
  const findings = report.findings
  assert.equal(findings.length, report.length)
  assert.equal(findings.length, summary.passed + summary.failed + summary.muted + summary.unknown)
  assert.ok(summary.failed > 0)
  assert.equal(report.failures().length, summary.failed)
  assert.deepEqual(new Set(report.failures().map((f) => f.status)), new Set(['FAIL']))
  assert.equal(summary.complianceRate, Math.round((1000 * summary.passed) / (summary.passed + summary.failed)) / 10)
  const contract = JSON.parse(report.toJson())
  assert.deepEqual(report.toObject(), contract)
  assert.equal(contract.format, report.format)
  findings.forEach((finding, i) => {
    const row = contract.findings[i]
    assert.ok(finding instanceof cfcp.Finding)
    const plain = JSON.parse(JSON.stringify(finding))
    assert.deepEqual(plain, finding.toJSON())
    assert.deepEqual(Object.keys(plain), ['checkId', 'title', 'severity', 'status', 'message', 'resource', 'remediation', 'compliance'])
    assert.equal(finding.checkId, row.check_id)
    assert.equal(finding.title, row.title)
    assert.equal(finding.status, row.status)
    assert.equal(finding.severity, row.severity)
    assert.equal(finding.message, row.message)
    assert.deepEqual(finding.resource, { zone: null, ...row.resource })
    assert.deepEqual(finding.remediation, { text: '', terraform: '', api: '', ...row.remediation })
    assert.deepEqual(finding.compliance, row.compliance)
  })
})

test('failures() holds the FAIL findings in order, with their details', () => {
  const report = cfcp.check(cfcp.Snapshot.demo())
  const fromAll = report.findings.filter((f) => f.status === 'FAIL').map((f) => JSON.stringify(f))
  assert.deepEqual(report.failures().map((f) => JSON.stringify(f)), fromAll)
  const first = report.failures()[0]
  assert.match(inspect(first), new RegExp(`^Finding \\{[\\s\\S]*checkId: '${first.checkId}'`))
})

test('report renderings', () => {
  const report = cfcp.check(cfcp.Snapshot.demo())
  const sarif = JSON.parse(report.toSarif('examples/snapshots/demo.json'))
  assert.equal(sarif.version, '2.1.0')
  const results = sarif.runs[0].results
  const { failed, unknown, muted } = report.summary
  assert.equal(results.length, failed + unknown + muted)
  assert.equal(results.filter((r) => r.properties.status === 'FAIL').length, failed)
  assert.equal(results[0].locations[0].physicalLocation.artifactLocation.uri, 'examples/snapshots/demo.json')
  assert.match(report.toMarkdown({ title: 'Nightly', maxRows: 2 }), /Nightly/)
  assert.ok(report.toMarkdown().length > report.toMarkdown({ maxRows: 1 }).length)
  assert.match(report.toJunit(), /^<\?xml/)
  const gitlab = JSON.parse(report.toGitlab('demo.json'))
  assert.equal(gitlab.length, failed + unknown)
  assert.equal(gitlab[0].location.path, 'demo.json')
  assert.ok(report.toText(true).length > report.toText().length)
  assert.match(String(report), /^<cfcp.Report checks=\d+ /)
})

test('zones, waivers and Rego policies', () => {
  const snapshot = cfcp.Snapshot.demo()
  const one = cfcp.check(snapshot, { zones: ['acme-api.io'] })
  assert.deepEqual(new Set(one.findings.map((f) => f.resource.zone).filter(Boolean)), new Set(['acme-api.io']))
  const failing = cfcp.check(snapshot).failures()[0]
  const dir = tempDir()
  const waivers = join(dir, 'waivers.json')
  writeFileSync(
    waivers,
    JSON.stringify([{ check_id: failing.checkId, resource: failing.resource.id, reason: 'accepted', expires: '2999-01-01' }]),
  )
  const waived = cfcp.check(snapshot, { waivers })
  assert.ok(waived.summary.muted > 0)
  assert.equal(waived.summary.failed, cfcp.check(snapshot).summary.failed - waived.summary.muted)
  const policies = cfcp.check(snapshot, { policyDir: join(ROOT, 'examples', 'policies') })
  assert.ok(policies.summary.checks > cfcp.check(snapshot).summary.checks)
})

test('bad waivers and policies throw E_DOCUMENT and E_POLICY', () => {
  const dir = tempDir()
  const waivers = join(dir, 'waivers.json')
  writeFileSync(waivers, '[{"check_id": 3}]')
  const doc = throwsCode(() => cfcp.check(cfcp.Snapshot.demo(), { waivers }), 'E_DOCUMENT')
  assert.equal(doc.document, 'waiver file')
  const policies = join(dir, 'policies')
  mkdirSync(policies)
  writeFileSync(join(policies, 'broken.rego'), 'package cfcp.broken\n deny contains x if {')
  const policy = throwsCode(() => cfcp.check(cfcp.Snapshot.demo(), { policyDir: policies }), 'E_POLICY')
  assert.match(policy.source, /broken\.rego$/)
  assert.ok(policy.errors.length > 0)
  throwsCode(() => cfcp.check(cfcp.Snapshot.demo(), { policyDir: join(dir, 'nope') }), 'E_IO')
})

test('compliance from a snapshot or a report', () => {
  const snapshot = cfcp.Snapshot.demo()
  assert.ok(cfcp.frameworks().includes('pci-dss-4.0.1'))
  const fromSnapshot = cfcp.compliance(snapshot, 'pci-dss-4.0.1')
  const fromReport = cfcp.compliance(cfcp.check(snapshot), 'pci-dss-4.0.1')
  assert.deepEqual(fromSnapshot, fromReport)
  assert.ok(Array.isArray(fromReport.controls) && fromReport.controls.length > 0)
  const unknown = throwsCode(() => cfcp.compliance(snapshot, 'iso-27001'), 'E_CFCP')
  assert.deepEqual(unknown.known, cfcp.frameworks())
  assert.throws(() => cfcp.compliance({}, 'pci-dss-4.0.1'))
})

// Check the bundled demo account with cfcp's Node binding: no token needed.
//
// Run: node examples/node/check_demo.mjs [SNAPSHOT.json]
// (after `npm run build` in bindings-node and `npm install` here, which links ../../bindings-node).
// With a snapshot file it checks that instead; exits 1 when a high or critical check fails.

import { Snapshot, check, compliance, waf } from 'cfcp'

const path = process.argv[2]
const snapshot = path ? Snapshot.load(path) : Snapshot.demo()
const report = check(snapshot)
const { summary } = report
console.log(
  `${snapshot.zoneNames.length} zones, ${summary.checks} checks: ${summary.passed} passed, ` +
    `${summary.failed} failed, ${summary.unknown} unknown (${summary.complianceRate}% compliant)`,
)

const byZone = new Map()
for (const finding of report.failures()) {
  const zone = finding.resource.zone ?? 'account'
  byZone.set(zone, (byZone.get(zone) ?? 0) + 1)
}
for (const [zone, count] of [...byZone].sort()) console.log(`  ${zone}: ${count} failing`)

const serious = report.failures().filter((f) => f.severity === 'critical' || f.severity === 'high')
for (const f of serious.slice(0, 5)) {
  console.log(`  [${f.severity}] ${f.checkId} on ${f.resource.name}: ${f.message}`)
}

const pci = compliance(report, 'pci-dss-4.0.1')
console.log(`PCI DSS 4.0.1: ${JSON.stringify(pci.summary)}`)

try {
  waf.validate('http.host contans "example.com"')
} catch (err) {
  if (err.code !== 'E_EXPRESSION') throw err
  console.log(`expression error at byte ${err.offset}: ${err.message}`)
}
process.exitCode = serious.length > 0 ? 1 : 0

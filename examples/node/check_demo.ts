// The demo check in TypeScript: `tsc --noEmit -p examples/node` type-checks it (strict) against
// the binding's generated index.d.ts; `npm test` in bindings-node runs that check.

import { Client, Snapshot, check, compliance, layer0, waf } from 'cfcp'
import type { CfcpError, Finding, Report, Summary } from 'cfcp'

function serious(report: Report): Finding[] {
  return report.failures().filter((f) => f.severity === 'critical' || f.severity === 'high')
}

function line(summary: Summary): string {
  return `${summary.failed} failed of ${summary.checks} (${summary.complianceRate.toFixed(1)}% compliant)`
}

async function main(): Promise<number> {
  const snapshot: Snapshot = process.env.CLOUDFLARE_API_TOKEN
    ? await new Client({ baseUrl: process.env.CLOUDFLARE_BASE_URL }).snapshot({ zones: ['example.com'] })
    : Snapshot.demo()
  const report = check(snapshot, { includeWaf: true })
  console.log(line(report.summary))
  for (const f of serious(report).slice(0, 3)) {
    const zone: string | undefined = f.resource.zone ?? undefined
    console.log(f.checkId, f.resource.type, zone, f.remediation.text)
  }
  const pci: Record<string, unknown> = compliance(report, 'pci-dss-4.0.1')
  console.log(Object.keys(pci))
  const verdict = layer0.route({ kind: 'query', text: 'list DNS records' }, { scopes: ['dns:read'] })
  console.log(verdict.route)
  try {
    waf.validate('http.host contans "x"')
  } catch (e) {
    const err = e as CfcpError
    if (err.code === 'E_EXPRESSION') console.log(err.offset, err.end, err.help)
  }
  return serious(report).length > 0 ? 1 : 0
}

main().then((code) => {
  process.exitCode = code
})

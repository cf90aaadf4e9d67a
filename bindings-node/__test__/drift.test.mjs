// drift.*: diff, risk, revert plan, rendering and Terraform code.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cfcp = require('../cfcp.js')

function greyClouded() {
  const data = JSON.parse(cfcp.Snapshot.demo().toJson())
  const zone = data.zones.find((z) => z.zone.name === 'acme-shop.com')
  const record = zone.dns_records.find((r) => r.name === 'api.acme-shop.com' && r.type === 'A')
  record.proxied = false
  return cfcp.Snapshot.fromJson(JSON.stringify(data))
}

test('a snapshot has no drift against itself', () => {
  const s = cfcp.Snapshot.demo()
  const drift = cfcp.drift.diff(s, s)
  assert.equal(drift.format, 'cfcp.drift/v1')
  assert.deepEqual(drift.items, [])
  assert.match(cfcp.drift.render(drift), /^No drift/)
})

test('a grey-clouded record is a high-risk drift that reverts with one allowed patch', () => {
  const drift = cfcp.drift.diff(cfcp.Snapshot.demo(), greyClouded())
  assert.equal(drift.items.length, 1)
  const [item] = drift.items
  assert.deepEqual(item.attributes[0], { path: 'proxied', desired: true, live: false })
  assert.equal(item.risk.level, 'high')
  assert.deepEqual(item.risk.flags, ['security_downgrade'])
  assert.equal(cfcp.drift.diff(cfcp.Snapshot.demo(), greyClouded(), { assess: false }).items[0].risk.level, 'info')
  const plan = cfcp.drift.revert(drift)
  assert.equal(plan.steps.length, 1)
  assert.equal(plan.steps[0].operation.method, 'PATCH')
  assert.equal(plan.steps[0].routing.route, 'allow')
  assert.equal(cfcp.drift.revert(drift, { zones: ['acme-api.io'] }).steps[0].routing.route, 'block')
  assert.match(cfcp.drift.render(JSON.stringify(drift), 'markdown'), /\| high \| changed \|/)
})

test('terraform code for an account and for a drift', () => {
  const out = cfcp.drift.exportTerraform(cfcp.Snapshot.demo(), { zones: ['acme-shop.com'], skipAccounts: true })
  assert.deepEqual(out.files.map((f) => f.name), ['acme-shop.com.tf', 'imports.tf'])
  const imports = out.files.find((f) => f.name === 'imports.tf').text
  assert.equal(imports.split('import {').length - 1, out.resources.length)
  const code = cfcp.drift.adopt(cfcp.drift.diff(cfcp.Snapshot.demo(), greyClouded()))
  assert.match(code.files.find((f) => f.name === 'acme-shop.com.tf').text, /proxied = false/)
})

test('bad input names the path and carries a code', () => {
  assert.throws(
    () => cfcp.drift.revert({ format: 'cfcp.drift/v1', items: 3, not_compared: [], compared: {} }),
    (e) => e.code === 'E_DOCUMENT' && /items/.test(e.message),
  )
})

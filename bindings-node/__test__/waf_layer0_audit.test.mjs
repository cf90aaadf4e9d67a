// cfcp.waf, cfcp.layer0 and cfcp.audit.

import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { cfcp, DATA, tempDir, throwsCode, writeAuditLog } from './helpers.mjs'

const DELETE_MX = {
  kind: 'tool_call',
  tool: 'dns_record_manage',
  arguments: { action: 'delete', zone: 'example.com', record: { id: '1', type: 'MX', name: 'example.com' } },
}
const LIST_RECORDS = { kind: 'tool_call', tool: 'dns_record_manage', arguments: { action: 'list', zone: 'example.com' } }
const CONTEXT = { zones_allowed: ['example.com'], scopes: ['dns:read', 'dns:edit'] }

test('waf.validate accepts good expressions', () => {
  assert.equal(cfcp.waf.validate('http.host eq "example.com"'), undefined)
  assert.equal(cfcp.waf.validate('lower(http.host)', 'value'), undefined)
})

test('waf.validate throws E_EXPRESSION with the offset', () => {
  const expression = 'http.host contans "x"'
  const err = throwsCode(() => cfcp.waf.validate(expression), 'E_EXPRESSION')
  assert.equal(expression.slice(err.offset, err.end), 'contans')
  assert.match(err.help, /contains/)
  assert.match(err.message, /contans/)
  assert.equal(err.name, 'ExpressionError')
  throwsCode(() => cfcp.waf.validate('true', 'regex'), 'E_CFCP')
})

test('waf.analyze covers every zone or one', () => {
  const snapshot = cfcp.Snapshot.demo()
  assert.deepEqual(cfcp.waf.analyze(snapshot).zones.map((z) => z.zone), snapshot.zoneNames)
  assert.deepEqual(cfcp.waf.analyze(snapshot, 'acme-api.io').zones.map((z) => z.zone), ['acme-api.io'])
})

test('waf.simulate traces a request', () => {
  const snapshot = cfcp.Snapshot.demo()
  const request = { method: 'GET', host: 'acme-shop.com', path: '/', client_ip: '198.51.100.7' }
  const trace = cfcp.waf.simulate(snapshot, 'acme-shop.com', request)
  assert.equal(trace.zone, 'acme-shop.com')
  assert.ok(Array.isArray(trace.steps) && trace.final_action)
  assert.deepEqual(cfcp.waf.simulate(snapshot, 'acme-shop.com', JSON.stringify(request)), trace)
  const unknown = throwsCode(() => cfcp.waf.simulate(snapshot, 'nope.example', request), 'E_UNKNOWN_ZONE')
  assert.equal(unknown.zone, 'nope.example')
  assert.ok(unknown.known.includes('acme-shop.com'))
  const bad = throwsCode(() => cfcp.waf.simulate(snapshot, 'acme-shop.com', { client_ip: 'not an ip' }), 'E_DOCUMENT')
  assert.equal(bad.document, 'request')
})

test('waf.propose from feed text', () => {
  const feed = readFileSync(join(DATA, 'intel', 'spamhaus_drop.txt'), 'utf8')
  const proposal = cfcp.waf.propose(feed, 'spamhaus-drop')
  assert.ok(proposal.items_payload.length > 0)
  assert.match(proposal.hcl, /resource/)
  assert.ok(proposal.summary_markdown)
  // The fixture keeps one malformed line on purpose: it is reported, not fatal.
  assert.deepEqual(proposal.feed_errors.map((e) => e.line), [12])
  assert.match(proposal.feed_errors[0].message, /CIDR/)
  const placed = cfcp.waf.propose(feed, 'spamhaus-drop', cfcp.Snapshot.demo(), 'acme-shop.com', {
    listName: 'drop_test',
    challenge: true,
  })
  assert.equal(placed.list_name, 'drop_test')
  assert.equal(placed.zone_name, 'acme-shop.com')
  assert.equal(placed.rule_payload.action, 'managed_challenge')
  throwsCode(() => cfcp.waf.propose(feed, 'xml'), 'E_DOCUMENT')
})

test('layer0.classify and route', () => {
  assert.equal(cfcp.layer0.classify(DELETE_MX, CONTEXT).intent, 'destroy')
  assert.equal(cfcp.layer0.classify(LIST_RECORDS, CONTEXT).intent, 'read')
  const verdict = cfcp.layer0.route(DELETE_MX, CONTEXT)
  assert.equal(verdict.route, 'approve')
  assert.equal(verdict.decision.route, 'approve')
  assert.equal(cfcp.layer0.route(LIST_RECORDS, CONTEXT).route, 'allow')
  // A request may carry its own context, as on the command line.
  assert.equal(cfcp.layer0.route({ ...LIST_RECORDS, context: CONTEXT }).route, 'allow')
  assert.equal(cfcp.layer0.route(JSON.stringify(LIST_RECORDS), JSON.stringify(CONTEXT)).route, 'allow')
  assert.equal(cfcp.layer0.classify(DELETE_MX, CONTEXT, cfcp.Snapshot.demo()).intent, 'destroy')
})

test('layer0 custom policies and errors', () => {
  const blockAll = '@route("block")\nforbid(principal, action, resource);\n'
  assert.equal(cfcp.layer0.route(LIST_RECORDS, CONTEXT, null, { extendPolicy: blockAll }).route, 'block')
  const policy = throwsCode(() => cfcp.layer0.route(LIST_RECORDS, CONTEXT, null, { policy: 'permit(principal, action' }), 'E_POLICY')
  assert.equal(policy.source, 'policy')
  throwsCode(() => cfcp.layer0.classify('{not json'), 'E_DOCUMENT')
  throwsCode(() => cfcp.layer0.classify({ kind: 'teleport' }), 'E_DOCUMENT')
})

test('audit.verify: good, tampered, missing, bad key', () => {
  const { log, publicKey } = writeAuditLog()
  const report = cfcp.audit.verify(log, { pubkey: publicKey, requireSealed: true })
  assert.ok(report.ok)
  assert.equal(report.problem, null)
  assert.equal(report.entries, 10)
  assert.ok(report.checkpoints >= 3 && report.sealed && report.keyPinned)
  assert.equal(report.head.length, 64)
  const dir = tempDir()
  const lines = readFileSync(log, 'utf8').split(/(?<=\n)/)
  const index = lines.findIndex((line) => line.includes('z3.example'))
  lines[index] = lines[index].replace('z3.example', 'z9.example')
  const tampered = join(dir, 'tampered.jsonl')
  writeFileSync(tampered, lines.join(''))
  const bad = cfcp.audit.verify(tampered)
  assert.equal(bad.ok, false)
  assert.match(bad.problem, new RegExp(`line ${index + 1}`))
  throwsCode(() => cfcp.audit.verify(join(dir, 'missing.jsonl')), 'E_IO')
  const garbage = join(dir, 'garbage.pub')
  writeFileSync(garbage, 'not a key')
  const key = throwsCode(() => cfcp.audit.verify(log, { pubkey: garbage }), 'E_AUDIT')
  assert.match(key.path, /garbage\.pub$/)
})

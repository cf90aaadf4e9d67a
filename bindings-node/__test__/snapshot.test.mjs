// Snapshot loading and saving; snapshot errors.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { cfcp, DEMO, demoJson, tempDir, throwsCode } from './helpers.mjs'

test('load, fromJson and toJson round-trip', () => {
  const loaded = cfcp.Snapshot.load(DEMO)
  assert.equal(loaded.format, 'cfcp.snapshot/v1')
  const again = cfcp.Snapshot.fromJson(loaded.toJson())
  assert.ok(again.equals(loaded))
  assert.deepEqual(JSON.parse(loaded.toJson()), demoJson())
  assert.deepEqual(loaded.toObject(), demoJson())
  assert.equal(loaded.takenAt, demoJson().taken_at)
})

test('zones are plain objects in Cloudflare shapes', () => {
  const snapshot = cfcp.Snapshot.load(DEMO)
  const expected = demoJson().zones.map((z) => z.zone.name)
  assert.deepEqual(snapshot.zones.map((z) => z.zone.name), expected)
  assert.deepEqual(snapshot.zoneNames, expected)
  assert.equal(Object.getPrototypeOf(snapshot.zones[0]), Object.prototype)
  assert.equal(snapshot.stats.zones, expected.length)
  assert.ok(snapshot.stats.dnsRecords > 0)
  assert.deepEqual(snapshot.gaps, [])
  assert.match(String(snapshot), new RegExp(`zones=${expected.length} `))
})

test('demo() is the example file', () => {
  assert.ok(cfcp.Snapshot.demo().equals(cfcp.Snapshot.load(DEMO)))
  assert.ok(!cfcp.Snapshot.demo().equals(cfcp.Snapshot.fromJson(JSON.stringify({ ...demoJson(), zones: [] }))))
})

test('snapshot errors name the file and the place', () => {
  const dir = tempDir()
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, '{"format": "cfcp.snapshot/v1",\n "taken_at": 3}')
  const schema = throwsCode(() => cfcp.Snapshot.load(bad), 'E_SNAPSHOT')
  assert.ok(schema instanceof Error)
  assert.equal(schema.name, 'SnapshotError')
  assert.equal(schema.path, bad)
  assert.equal(schema.jsonPath, 'taken_at')
  assert.equal(schema.line, 2)
  const syntax = throwsCode(() => cfcp.Snapshot.fromJson('{'), 'E_SNAPSHOT')
  assert.equal(syntax.path, null)
  assert.equal(syntax.line, 1)
  const format = throwsCode(() => cfcp.Snapshot.fromJson('{"format": "cfcp.snapshot/v9"}'), 'E_SNAPSHOT')
  assert.match(format.message, /unsupported snapshot format/)
  const missing = throwsCode(() => cfcp.Snapshot.load(join(dir, 'missing.json')), 'E_IO')
  assert.equal(missing.kind, 'NotFound')
  assert.equal(missing.path, join(dir, 'missing.json'))
})

test('the error codes are listed with their names', () => {
  const codes = new Map(cfcp.errorCodes())
  for (const code of ['E_API', 'E_AUTH', 'E_RATE_LIMITED', 'E_SNAPSHOT', 'E_EXPRESSION', 'E_POLICY', 'E_CFCP']) {
    assert.ok(codes.has(code), code)
  }
  assert.equal(codes.get('E_RATE_LIMITED'), 'RateLimitedError')
  assert.equal(cfcp.version(), JSON.parse(JSON.stringify(cfcp.version())))
  assert.match(cfcp.version(), /^\d+\.\d+\.\d+/)
})

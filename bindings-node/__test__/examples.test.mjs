// The examples users copy: examples/node/check_demo.mjs and the README's five-line Node example.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { cfcp, ROOT, tempDir } from './helpers.mjs'

test('examples/node/check_demo.mjs runs against the demo snapshot with no token', () => {
  const env = { PATH: process.env.PATH }
  const run = spawnSync(process.execPath, [join(ROOT, 'examples', 'node', 'check_demo.mjs')], { env, encoding: 'utf8' })
  assert.equal(run.stderr, '')
  const summary = cfcp.check(cfcp.Snapshot.demo()).summary
  assert.match(run.stdout, new RegExp(`${summary.checks} checks: ${summary.passed} passed, ${summary.failed} failed`))
  assert.match(run.stdout, /PCI DSS 4\.0\.1: /)
  assert.match(run.stdout, /expression error at byte 10: /)
  // The demo account has high and critical failures, so the example exits 1, as documented.
  assert.equal(run.status, 1)
})

test("the README's Node example works as printed", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Node\n'))
  const code = section.match(/```js\n([\s\S]*?)```/)[1]
  assert.equal(code.trim().split('\n').length, 5)
  const dir = tempDir()
  mkdirSync(join(dir, 'node_modules'))
  // What `npm install ./bindings-node` leaves behind: a link to the package.
  symlinkSync(join(ROOT, 'bindings-node'), join(dir, 'node_modules', 'cfcp'), 'dir')
  writeFileSync(join(dir, 'example.js'), code)
  const run = spawnSync(process.execPath, ['example.js'], { cwd: dir, encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const report = cfcp.check(cfcp.Snapshot.demo())
  assert.match(run.stdout, new RegExp(`failed: ${report.summary.failed}`))
  const first = report.failures()[0]
  assert.ok(run.stdout.includes(`${first.severity} ${first.checkId} ${first.resource.name}`))
})

// Client against the fake Cloudflare API: Promises, the environment, API errors, the secret token.

import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { inspect } from 'node:util'

import { cfcp, rejectsCode, startFakeCloudflare, throwsCode } from './helpers.mjs'

const MARKER = 'node-marker-token-5c2e'
const ENV = ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_EMAIL', 'CLOUDFLARE_API_KEY', 'CLOUDFLARE_BASE_URL']
let fake
let limited

before(async () => {
  fake = await startFakeCloudflare()
  limited = await startFakeCloudflare('--429-after', '0', '--429-for', '1000000')
})
after(() => {
  fake?.stop()
  limited?.stop()
})
// Tests decide the credentials themselves.
beforeEach(() => ENV.forEach((name) => delete process.env[name]))

test('a client needs credentials and a good base URL', () => {
  const none = throwsCode(() => new cfcp.Client(), 'E_CONFIG')
  assert.match(none.message, /CLOUDFLARE_API_TOKEN/)
  throwsCode(() => new cfcp.Client({ token: 't', baseUrl: 'not a url' }), 'E_CONFIG')
  throwsCode(() => new cfcp.Client({ token: 't', timeout: -1 }), 'E_CONFIG')
})

test('snapshot() is a Promise and the event loop keeps running', async () => {
  const client = new cfcp.Client({ token: 'good-token', baseUrl: fake.url })
  let ticks = 0
  const timer = setInterval(() => ticks++, 0)
  const pending = client.snapshot()
  assert.ok(pending instanceof Promise)
  const [all, one] = await Promise.all([pending, client.snapshot({ zones: ['acme-api.io'] })])
  clearInterval(timer)
  assert.ok(ticks > 0, 'the event loop ran while the snapshots were taken')
  assert.deepEqual(all.zoneNames, cfcp.Snapshot.demo().zoneNames)
  assert.deepEqual(all.gaps, [])
  assert.deepEqual(one.zoneNames, ['acme-api.io'])
  assert.ok(cfcp.check(all).summary.failed > 0)
  assert.ok(client.requestsSent > 0)
})

test('the client reads the environment', async () => {
  process.env.CLOUDFLARE_API_TOKEN = 'good-token'
  process.env.CLOUDFLARE_BASE_URL = fake.url
  const client = new cfcp.Client()
  assert.equal(client.baseUrl.replace(/\/$/, ''), fake.url.replace(/\/$/, ''))
  const snapshot = await client.snapshot({ zones: ['acme-api.io'] })
  assert.deepEqual(snapshot.zoneNames, ['acme-api.io'])
})

test('an auth error rejects with E_AUTH and never shows the token', async () => {
  const client = new cfcp.Client({ token: MARKER, baseUrl: fake.url, maxRetries: 0 })
  for (const shown of [String(client), inspect(client, { showHidden: true, depth: 5 }), JSON.stringify(client)]) {
    assert.ok(!shown?.includes(MARKER), shown)
  }
  const err = await rejectsCode(client.snapshot(), 'E_AUTH')
  assert.ok(err instanceof Error)
  assert.equal(err.name, 'AuthError')
  assert.ok([401, 403].includes(err.status))
  assert.ok(Array.isArray(err.codes) && err.codes.length > 0)
  assert.match(err.request, /^GET /)
  const everything = [err.message, err.stack, inspect(err, { showHidden: true }), JSON.stringify({ ...err })].join('\n')
  assert.ok(!everything.includes(MARKER))
})

test('still rate limited after the retries: E_RATE_LIMITED with retryAfter', async () => {
  const client = new cfcp.Client({ token: 'good-token', baseUrl: limited.url, maxRetries: 0 })
  const err = await rejectsCode(client.snapshot(), 'E_RATE_LIMITED')
  assert.equal(err.status, 429)
  assert.equal(err.retryAfter, 1)
  assert.match(err.request, /^GET /)
})

test('a transport error is E_API without a status', async () => {
  const client = new cfcp.Client({
    token: 'good-token',
    baseUrl: 'http://127.0.0.1:9/client/v4',
    maxRetries: 0,
    timeout: 2,
  })
  const err = await rejectsCode(client.snapshot(), 'E_API')
  assert.equal(err.status, null)
  assert.deepEqual(err.codes, [])
})

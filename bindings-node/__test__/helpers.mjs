// Shared fixtures: the repository's files, the fake Cloudflare API and a signed audit log.
//
// The Rust helpers come from FAKE_CLOUDFLARE_BIN and WRITE_AUDIT_LOG_BIN when `cargo xtask test`
// built them, or are built here with cargo otherwise (a no-op when they are up to date).

import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DEMO = join(ROOT, 'examples', 'snapshots', 'demo.json')
export const DATA = join(ROOT, 'core', 'tests', 'data')
const targetEnv = process.env.CARGO_TARGET_DIR
export const TARGET = targetEnv ? (isAbsolute(targetEnv) ? targetEnv : join(ROOT, targetEnv)) : join(ROOT, 'target')

/** The binding, loaded the way a user's `require('cfcp')` loads it. */
export const cfcp = createRequire(import.meta.url)('../cfcp.js')

export function demoJson() {
  return JSON.parse(readFileSync(DEMO, 'utf8'))
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'cfcp-node-'))
}

function binary(envName, cargoArgs, path) {
  if (process.env[envName]) return process.env[envName]
  const built = spawnSync('cargo', ['build', '-q', ...cargoArgs], { cwd: ROOT, stdio: 'inherit' })
  if (built.status !== 0) throw new Error(`cargo build ${cargoArgs.join(' ')} failed`)
  return path
}

/**
 * Starts the fake Cloudflare API seeded with the demo account (token `good-token` may read
 * everything); resolves to `{ url, stop }`.
 */
export async function startFakeCloudflare(...extra) {
  const bin = binary(
    'FAKE_CLOUDFLARE_BIN',
    ['-p', 'fake-cloudflare', '--bin', 'fake-cloudflare'],
    join(TARGET, 'debug', 'fake-cloudflare'),
  )
  const child = spawn(
    bin,
    ['--snapshot', DEMO, '--port', '0', '--quiet', '--token', 'good-token=all', ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: child.stdout })
  const first = await new Promise((done, fail) => {
    lines.once('line', done)
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`fake-cloudflare exited (${code})`)))
  })
  const prefix = 'fake-cloudflare listening on '
  if (!first.startsWith(prefix)) {
    child.kill()
    throw new Error(`fake-cloudflare did not start: ${first}`)
  }
  return {
    url: first.slice(prefix.length).trim(),
    stop: () => {
      lines.close()
      child.kill()
    },
  }
}

/** A closed, signed audit log of ten decisions and its public key file: `{ log, publicKey }`. */
export function writeAuditLog() {
  const bin = binary(
    'WRITE_AUDIT_LOG_BIN',
    ['-p', 'cfcp-python', '--example', 'write_audit_log'],
    join(TARGET, 'debug', 'examples', 'write_audit_log'),
  )
  const out = spawnSync(bin, [tempDir()], { encoding: 'utf8' })
  if (out.status !== 0) throw new Error(`write_audit_log failed: ${out.stderr}`)
  const [log, publicKey] = out.stdout.trim().split(/\s+/)
  return { log, publicKey }
}

/** Runs `fn`, expecting it to throw a cfcp error with `code`; returns the error. */
export function throwsCode(fn, code) {
  try {
    fn()
  } catch (err) {
    if (err?.code !== code) throw new Error(`expected ${code}, got ${err?.code}: ${err?.message}`)
    return err
  }
  throw new Error(`expected ${code}, nothing was thrown`)
}

/** The same for a Promise. */
export async function rejectsCode(promise, code) {
  try {
    await promise
  } catch (err) {
    if (err?.code !== code) throw new Error(`expected ${code}, got ${err?.code}: ${err?.message}`)
    return err
  }
  throw new Error(`expected ${code}, the Promise resolved`)
}

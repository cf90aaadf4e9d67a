// `npm test`'s first step: the dev tools (npm ci) and the native extension (napi build, release),
// then `examples/node/node_modules/cfcp` pointing here, as `npm install ./bindings-node` would.
//
// cargo decides whether the extension is up to date, so this is fast when nothing changed.
// CARGO_TARGET_DIR is honoured (napi passes it on to cargo).

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, symlinkSync, lstatSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function run(command, args) {
  const result = spawnSync(command, args, { cwd: here, stdio: 'inherit' })
  if (result.error || result.status !== 0) {
    console.error(`cfcp-node: ${command} ${args.join(' ')} failed (${result.error?.message ?? result.status})`)
    process.exit(1)
  }
}

if (!existsSync(join(here, 'node_modules', '.bin', 'napi'))) {
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'])
}
run(join(here, 'node_modules', '.bin', 'napi'), ['build', '--platform', '--release'])
if (!readdirSync(here).some((f) => /^cfcp\..+\.node$/.test(f))) {
  console.error('cfcp-node: napi build made no cfcp.*.node file')
  process.exit(1)
}

const examples = resolve(here, '..', 'examples', 'node', 'node_modules')
const link = join(examples, 'cfcp')
const present = (() => {
  try {
    return lstatSync(link).isSymbolicLink() || existsSync(link)
  } catch {
    return false
  }
})()
if (!present) {
  mkdirSync(examples, { recursive: true })
  symlinkSync(relative(examples, here), link, 'dir')
}

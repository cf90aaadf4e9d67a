// `npm test`'s first step: the dev tools (npm ci) and the native extension (release), then
// `examples/node/node_modules/cfcp` pointing here, as `npm install ./bindings-node` would.
//
// cargo decides whether the extension is up to date, so this is fast when nothing changed.
// CARGO_TARGET_DIR is honoured. On x86_64 Linux the extension is built with plain `cargo build
// --release` into the workspace's own target/release, where the Python binding's release build
// has built core already, and copied to the file index.js loads: `napi build` always passes
// --target and so builds core a second time in target/x86_64-unknown-linux-gnu (minutes on a
// fresh clone). index.js and index.d.ts are committed; `npm run build` (napi build) regenerates
// them, and is what other platforms use here.

import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, lstatSync } from 'node:fs'
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
const glibc = Boolean(process.report?.getReport?.().header?.glibcVersionRuntime)
if (process.platform === 'linux' && process.arch === 'x64' && glibc) {
  run('cargo', ['build', '--release', '-q', '-p', 'cfcp-node'])
  // cargo reads a relative CARGO_TARGET_DIR from its working directory, which is this one.
  const target = process.env.CARGO_TARGET_DIR
    ? resolve(here, process.env.CARGO_TARGET_DIR)
    : resolve(here, '..', 'target')
  copyFileSync(join(target, 'release', 'libcfcp_node.so'), join(here, 'cfcp.linux-x64-gnu.node'))
} else {
  run(join(here, 'node_modules', '.bin', 'napi'), ['build', '--platform', '--release'])
}
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

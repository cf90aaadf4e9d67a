// The Node column of `cargo xtask bench bindings`: `check` on a snapshot file from Node.
//
// Prints one line `load_s check_s convert_s findings` (the best of ROUNDS rounds), where
// convert_s is building `report.findings` (one plain object per finding) and reading every
// finding's status.

import { createRequire } from 'node:module'

const cfcp = createRequire(import.meta.url)('../cfcp.js')

const [path, roundsArg] = process.argv.slice(2)
const rounds = Number(roundsArg ?? 3)
const best = [Infinity, Infinity, Infinity]
let findings = 0
const seconds = (from) => Number(process.hrtime.bigint() - from) / 1e9
for (let round = 0; round < rounds; round++) {
  let started = process.hrtime.bigint()
  const snapshot = cfcp.Snapshot.load(path)
  const load = seconds(started)
  started = process.hrtime.bigint()
  const report = cfcp.check(snapshot)
  const check = seconds(started)
  started = process.hrtime.bigint()
  const statuses = report.findings.map((f) => f.status)
  const convert = seconds(started)
  findings = statuses.length
  ;[load, check, convert].forEach((took, i) => {
    best[i] = Math.min(best[i], took)
  })
}
console.log(`${best[0]} ${best[1]} ${best[2]} ${findings}`)

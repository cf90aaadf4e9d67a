#!/bin/sh
# The job of the cfcp GitLab CI template (cfcp.gitlab-ci.yml), kept out of the YAML so that it can
# be run and tested anywhere: `sh cfcp-check.sh` in the directory that should receive the reports.
#
# Writes, in the current directory:
#   gl-code-quality-report.json  GitLab Code Quality (artifacts:reports:codequality)
#   cfcp-junit.xml               JUnit XML (artifacts:reports:junit)
#   cfcp-summary.md              the Markdown summary (also posted on the merge request)
#   cfcp-snapshot.json           live mode only: the snapshot that was checked
# then, in a merge-request pipeline with CFCP_GITLAB_TOKEN set, posts or updates the summary note
# (comment-mr.sh beside this script). A failed comment is a warning, never the job's result.
#
# Input, in this order:
#   CFCP_SNAPSHOT=path        check that snapshot file (relative to the repository)
#   CFCP_SNAPSHOT=demo        check the demo account bundled in cfcp (to try the template)
#   CLOUDFLARE_API_TOKEN set  live: snapshot the account once (cfcp snapshot), then check that file
#   none of these             exit 2 and say what to set
# Options: CFCP_FAIL_ON (default high; critical|high|medium|low|info|none), CFCP_POLICY_DIR
# (Rego policies), CFCP_WAIVERS (waivers JSON), CFCP_ZONES (zone names, space or comma separated),
# CFCP_BIN (default: cfcp on PATH), CFCP_COMMENT=false (never comment).
#
# Exit status: 0 when nothing fails at or above CFCP_FAIL_ON, 1 when something does, 2 on bad input
# (a missing file, a bad policy, a failed live snapshot). Every report is written before it exits.

set -u

cfcp=${CFCP_BIN:-cfcp}
fail_on=${CFCP_FAIL_ON:-high}
codequality=gl-code-quality-report.json
junit=cfcp-junit.xml
summary=cfcp-summary.md
live_snapshot=cfcp-snapshot.json
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v "$cfcp" >/dev/null 2>&1; then
    echo "cfcp-check: $cfcp not found: use an image with cfcp installed, or set CFCP_BIN" >&2
    exit 2
fi

# The zones, then the other options of every run, as positional parameters (POSIX sh has no
# arrays); `cfcp snapshot` takes only the zones.
set --
for zone in $(printf '%s' "${CFCP_ZONES:-}" | tr ',' ' '); do
    set -- "$@" --zone "$zone"
done

snapshot=
case "${CFCP_SNAPSHOT:-}" in
demo)
    # cfcp checks its bundled demo when given no file and no credentials.
    unset CLOUDFLARE_API_TOKEN CLOUDFLARE_API_KEY CLOUDFLARE_EMAIL
    echo "cfcp-check: checking the demo account bundled in cfcp (CFCP_SNAPSHOT=demo)"
    ;;
"")
    if [ -z "${CLOUDFLARE_API_TOKEN:-}" ] && [ -z "${CLOUDFLARE_API_KEY:-}" ]; then
        echo "cfcp-check: nothing to check: set CFCP_SNAPSHOT to a snapshot file in the repository, or CLOUDFLARE_API_TOKEN as a masked CI/CD variable for the live account (CFCP_SNAPSHOT=demo tries the template on cfcp's demo account)" >&2
        exit 2
    fi
    # One snapshot, three renderings: the account is read once, and the snapshot is kept as an
    # artifact, so the reports show what was checked.
    echo "cfcp-check: snapshotting the live account"
    rm -f "$live_snapshot"
    if ! "$cfcp" snapshot "$@" --output "$live_snapshot"; then
        echo "cfcp-check: the live snapshot failed (see above): check the token's permissions" >&2
        exit 2
    fi
    snapshot=$live_snapshot
    ;;
*)
    if [ ! -f "$CFCP_SNAPSHOT" ]; then
        echo "cfcp-check: CFCP_SNAPSHOT=$CFCP_SNAPSHOT is not a file (paths are relative to $(pwd))" >&2
        exit 2
    fi
    snapshot=$CFCP_SNAPSHOT
    ;;
esac

if [ -n "${CFCP_POLICY_DIR:-}" ]; then
    set -- "$@" --policy "$CFCP_POLICY_DIR"
fi
if [ -n "${CFCP_WAIVERS:-}" ]; then
    set -- "$@" --waivers "$CFCP_WAIVERS"
fi

status=0
# Runs `cfcp check` once; keeps the worst exit status (2, bad input, outranks 1, failing findings).
check() {
    if [ -n "$snapshot" ]; then
        "$cfcp" check "$snapshot" "$@"
    else
        "$cfcp" check "$@"
    fi
    code=$?
    if [ "$code" -gt "$status" ]; then
        status=$code
    fi
}

rm -f "$codequality" "$junit" "$summary"
check "$@" --format gitlab --fail-on none --output "$codequality"
check "$@" --format junit --fail-on none --output "$junit"
# The last run decides the job by CFCP_FAIL_ON.
check "$@" --format markdown --fail-on "$fail_on" --output "$summary"

if [ -f "$summary" ]; then
    cat "$summary"
fi
case $status in
0) echo "cfcp-check: nothing fails at or above $fail_on" ;;
1) echo "cfcp-check: findings at or above $fail_on fail the job (CFCP_FAIL_ON)" ;;
*) echo "cfcp-check: bad input (exit $status): see the errors above" >&2 ;;
esac

if [ -n "${CI_MERGE_REQUEST_IID:-}" ] && [ "${CFCP_COMMENT:-true}" != false ] && [ -f "$summary" ]; then
    if [ -n "${CFCP_GITLAB_TOKEN:-}" ]; then
        sh "$here/comment-mr.sh" "$summary" ||
            echo "cfcp-check: warning: could not comment on the merge request (see above)" >&2
    else
        echo "cfcp-check: set CFCP_GITLAB_TOKEN (a project access token, api scope, as a masked variable) to get this summary as a merge-request comment"
    fi
fi
exit "$status"

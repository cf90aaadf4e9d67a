#!/bin/sh
# Posts cfcp's Markdown summary on the merge request of this pipeline, or updates the note an
# earlier pipeline posted, so that a merge request carries one summary instead of one per push.
#
# usage: comment-mr.sh [SUMMARY.md]   (default cfcp-summary.md)
#
# Needs curl and, as GitLab sets them in merge-request pipelines, CI_API_V4_URL, CI_PROJECT_ID and
# CI_MERGE_REQUEST_IID; plus CFCP_GITLAB_TOKEN: a project access token (role Reporter or more,
# scope api) stored as a masked CI/CD variable. CI_JOB_TOKEN cannot write notes, hence the token.
# It is sent as the PRIVATE-TOKEN header from a file, so it never appears in a command line.
#
# The note starts with an invisible marker (an HTML comment). The note to update is the most
# recently updated one that carries the marker and was written by the token's own user (GET /user);
# when there is none, or updating it fails, a new note is posted.
#
# Exit status: 0 posted or updated, 1 the API refused or could not be reached, 2 bad usage.

set -u

file=${1:-cfcp-summary.md}
marker=cfcp-gitlab-ci-summary

for var in CI_API_V4_URL CI_PROJECT_ID CI_MERGE_REQUEST_IID CFCP_GITLAB_TOKEN; do
    eval "value=\${$var:-}"
    if [ -z "$value" ]; then
        echo "comment-mr: $var is not set (a merge-request pipeline sets the CI_ ones; CFCP_GITLAB_TOKEN is a project access token)" >&2
        exit 2
    fi
done
if [ ! -f "$file" ]; then
    echo "comment-mr: $file does not exist (cfcp-check.sh writes it)" >&2
    exit 2
fi
if ! command -v curl >/dev/null 2>&1; then
    echo "comment-mr: curl is missing: install it in the job's image" >&2
    exit 2
fi

umask 077
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' HUP INT TERM
printf 'PRIVATE-TOKEN: %s\n' "$CFCP_GITLAB_TOKEN" >"$tmp/headers"

api=${CI_API_V4_URL%/}
notes="$api/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"

# request METHOD URL [CURL OPTION...]: prints the HTTP status (000 when there was no answer) and
# leaves the response body in $tmp/response.
request() {
    method=$1
    url=$2
    shift 2
    : >"$tmp/response"
    curl -sS -X "$method" -H "@$tmp/headers" -H 'Expect:' -o "$tmp/response" \
        -w '%{http_code}' "$@" "$url" || true
}

# The text of a response, shortened for an error message.
response_excerpt() {
    tr '\n' ' ' <"$tmp/response" | cut -c 1-300
}

{
    printf '<!-- %s -->\n' "$marker"
    cat "$file"
    if [ -n "${CI_PIPELINE_URL:-}" ]; then
        printf '\n<sub>Updated by pipeline [#%s](%s) for %s.</sub>\n' \
            "${CI_PIPELINE_IID:-${CI_PIPELINE_ID:-}}" "$CI_PIPELINE_URL" \
            "${CI_COMMIT_SHORT_SHA:-the latest commit}"
    fi
} >"$tmp/body.md"

# The token's own user, so that a marker quoted in someone else's note is never taken for ours.
user=
code=$(request GET "$api/user")
case $code in
2??) user=$(sed -n 's/^[^{]*{[[:space:]]*"id"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$tmp/response" | head -n 1) ;;
*) echo "comment-mr: GET /user answered HTTP $code; updating any note with the marker" >&2 ;;
esac

# GitLab answers compact JSON: [{"id":N,"type":..,"body":"..marker..",..,"author":{"id":U,..},..},..].
# Splitting at every `{"id":` gives one piece per note (its id first, then its body) followed by one
# for its author (the author's id first). A JSON string cannot contain `{"id":` unescaped, so a body
# never splits.
note=
code=$(request GET "$notes?sort=desc&order_by=updated_at&per_page=100")
case $code in
2??)
    note=$(awk -v marker="$marker" -v user="$user" '
        { text = text $0 "\n" }
        END {
            n = split(text, part, /\{[[:space:]]*"id"[[:space:]]*:[[:space:]]*/)
            for (i = 2; i < n; i++) {
                if (index(part[i], marker) == 0 || !match(part[i], /^[0-9]+/)) continue
                id = substr(part[i], 1, RLENGTH)
                if (user != "" && !(part[i] ~ /"author"[[:space:]]*:[[:space:]]*$/ && part[i + 1] ~ ("^" user "[^0-9]"))) continue
                print id
                exit
            }
        }' "$tmp/response")
    ;;
*) echo "comment-mr: listing the notes answered HTTP $code: $(response_excerpt)" >&2 ;;
esac

if [ -n "$note" ]; then
    code=$(request PUT "$notes/$note" --data-urlencode "body@$tmp/body.md")
    case $code in
    2??)
        echo "comment-mr: updated note $note on merge request !$CI_MERGE_REQUEST_IID"
        exit 0
        ;;
    esac
    echo "comment-mr: updating note $note answered HTTP $code: $(response_excerpt); posting a new one" >&2
fi

code=$(request POST "$notes" --data-urlencode "body@$tmp/body.md")
case $code in
2??)
    echo "comment-mr: commented on merge request !$CI_MERGE_REQUEST_IID"
    exit 0
    ;;
esac
echo "comment-mr: posting the note answered HTTP $code: $(response_excerpt)" >&2
exit 1

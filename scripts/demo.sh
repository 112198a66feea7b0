#!/usr/bin/env bash
# The mapc demo on embedded defaults: prose -> mapping (offline generator unless an LLM endpoint is
# configured) -> check -> dry-run -> approve -> a 10,000-contact sync from the HubSpot emulator to
# the Salesforce emulator that pauses when Salesforce fails mid-way, then resumes -> status and the
# audit trail of one record. Everything happens in a temporary project; the repository is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MAPC="$ROOT/.build/debug/mapc"
WORK=$(mktemp -d /tmp/mapc-demo.XXXXXX)
SANDBOX_PID=""
SERVE_PID=""
N=${DEMO_RECORDS:-10000}

cleanup() {
  for pid in $SERVE_PID $SANDBOX_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -z "${KEEP_DEMO:-}" ]; then rm -rf "$WORK"; else echo "demo project kept in $WORK"; fi
}
trap cleanup EXIT

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
step() { echo; bold "== $*"; }

step "A demo project in $WORK"
mkdir -p "$WORK/samples/mappings" "$WORK/samples/hubspot" "$WORK/samples/salesforce" "$WORK/seed/hubspot" "$WORK/seed/salesforce" "$WORK/jobs"
cp -r schemas ratelimits platforms "$WORK/"
cp samples/hubspot/contact.jsonl "$WORK/samples/hubspot/"
cp samples/salesforce/*.jsonl "$WORK/samples/salesforce/"
cp samples/mappings/contacts-to-leads.txt "$WORK/samples/mappings/"
cp jobs/contacts-to-leads.json "$WORK/jobs/"
python3 scripts/demo_seed.py "$N" samples/hubspot/contact.jsonl > "$WORK/seed/hubspot/contact.jsonl"
cp samples/salesforce/Account.jsonl samples/salesforce/Lead.jsonl "$WORK/seed/salesforce/"
echo "$N HubSpot contacts to seed the HubSpot emulator; the Salesforce emulator holds the sample accounts and leads"
cd "$WORK"

step "1. The integration author's prose"
cat samples/mappings/contacts-to-leads.txt

step "2. mapc gen: prose -> mapping"
"$MAPC" gen samples/mappings/contacts-to-leads.txt -o samples/mappings/contacts-to-leads.map
cat samples/mappings/contacts-to-leads.map

step "3. mapc check"
"$MAPC" check samples/mappings/contacts-to-leads.map

step "4. mapc dry-run over the messy HubSpot sample"
"$MAPC" dry-run samples/mappings/contacts-to-leads.map || true

step "5. mapc approve"
"$MAPC" approve samples/mappings/contacts-to-leads.map --by demo --note "reviewed in the demo"
"$MAPC" verify

step "6. mapc sandbox: local emulators of HubSpot and Salesforce"
"$MAPC" sandbox --platform hubspot --platform salesforce --seed seed > sandbox.env 2> sandbox.log &
SANDBOX_PID=$!
for _ in $(seq 1 600); do grep -q '^# control' sandbox.env 2>/dev/null && break; sleep 0.1; done
grep -q '^# control' sandbox.env || { echo "the sandbox did not start:"; cat sandbox.log; exit 1; }
sed 's/\(TOKEN=\).*/\1<hidden>/' sandbox.env
# shellcheck disable=SC1091
source <(grep '^export ' sandbox.env)

step "7. mapc serve: webhooks on one listener, the operator console and metrics on another"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HOOKS_PORT=$(free_port)
PORT=$(free_port)
# An operator for the console, in the demo project's own operators file (a real one lives in ~/.config/mapc).
export MAPC_OPERATORS="$WORK/operators.json"
DEMO_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
echo "$DEMO_PASSWORD" | "$MAPC" operators add demo --password-stdin
"$MAPC" serve --listen "127.0.0.1:$HOOKS_PORT" --admin-listen "127.0.0.1:$PORT" > serve.log 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 600); do grep -q 'console on' serve.log 2>/dev/null && break; sleep 0.1; done
echo "console: http://127.0.0.1:$PORT/dashboard (sign in as demo / $DEMO_PASSWORD)   metrics: http://127.0.0.1:$PORT/metrics"
echo "webhooks: http://127.0.0.1:$HOOKS_PORT/webhooks/<platform>"

step "8. mapc sync: $N contacts -> leads through Bulk API 2.0; Salesforce will go down mid-way"
# $N records are over the bulk threshold: one Bulk API 2.0 job. Its status requests fail for good
# (until step 9) once it is uploaded, so the run's retries run out and it pauses, the job's id on record.
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"pollFailures": 1000000}' \
  "$MAPC_SALESFORCE_URL/_sandbox/bulk" > /dev/null
"$MAPC" sync contacts-to-leads || true
echo
"$MAPC" status

step "9. The operator sees why, and resumes once Salesforce is back: the same bulk job, not a second"
"$MAPC" events contacts-to-leads | grep -E 'write_path|bulk_job|attempt|paused' | tail -5
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"pollFailures": 0}' "$MAPC_SALESFORCE_URL/_sandbox/bulk" > /dev/null
"$MAPC" resume contacts-to-leads || true
curl -fsS "$MAPC_SALESFORCE_URL/_sandbox/bulk" \
  | python3 -c 'import json,sys; print("Bulk API 2.0 jobs in the emulator: %d" % len(json.load(sys.stdin)["jobs"]))'

step "10. Final status and the rejected records"
"$MAPC" status
"$MAPC" failed contacts-to-leads | head -8

step "11. The audit trail of one record"
KEY=$(head -n 3 seed/hubspot/contact.jsonl | tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["hs_object_id"])')
"$MAPC" why contacts-to-leads "$KEY"

step "12. What the emulator holds, and what the metrics say"
curl -fsS "$MAPC_SALESFORCE_URL/_sandbox/records?object=Lead&key=HubSpot_Contact_Id__c" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("Salesforce emulator: %d leads, %d duplicate keys" % (d["count"], len(d["duplicates"])))'
curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E '^mapc_(records|jobs)' | head -8 || true

if [ -n "${DEMO_SERVE:-}" ]; then
  step "The dashboard stays up at http://127.0.0.1:$PORT/dashboard (Ctrl-C to stop)"
  wait "$SERVE_PID"
fi

#!/usr/bin/env bash
# The mapc demo on embedded defaults: checks, formats and runs every sample mapping.
set -euo pipefail
cd "$(dirname "$0")/.."
MAPC=.build/debug/mapc
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Type-check every sample mapping"
$MAPC check samples/mappings/*.map

step "Formatting is canonical"
$MAPC fmt --check samples/mappings/*.map && echo "all sample mappings are canonically formatted"

step "A misspelled field is caught with a suggestion"
sed 's/lower(trim(email))/lower(trim(emial))/' samples/mappings/contacts-to-leads.map > "$out/typo.map"
cp "$out/typo.map" samples/mappings/.demo-typo.map
$MAPC check samples/mappings/.demo-typo.map || true
rm -f samples/mappings/.demo-typo.map

step "Map the messy HubSpot sample to Salesforce leads"
$MAPC run samples/mappings/contacts-to-leads.map --input samples/hubspot/contact.jsonl \
  --lookups samples --output "$out/leads.jsonl" --rejects "$out/rejects.jsonl" || true
echo "first mapped lead:"
head -n 1 "$out/leads.jsonl"
echo "first rejected record's reasons:"
head -n 1 "$out/rejects.jsonl" | jq -c '.reasons'

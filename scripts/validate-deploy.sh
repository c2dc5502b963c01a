#!/usr/bin/env bash
# Offline validation of the deployment assets with the tools users run (Debian packages, installed
# when missing): docker-compose.yml in each profile with `docker-compose config` (Compose 1.29, the
# compose-spec schema; no Docker engine needed), and the decK state files with decK 1.4's `deck
# validate` (entity structure). decK 1.4 predates `${{ env "DECK_…" }}`: the placeholders are filled
# with example values first. The systemd unit with `systemd-analyze verify` (any warning fails).
# Plugin configs, k8s manifests and what the files must agree on are checked by
# spec/01-unit/docker-assets (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v deck >/dev/null || missing+=(deck)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for profile in "" postgres hybrid kong-managed kong-3.4 redis; do
  docker-compose ${profile:+--profile "$profile"} -f docker-compose.yml config -q
  echo "docker-compose.yml${profile:+ --profile $profile}: docker-compose config OK"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A example=(
  [DECK_ORDERS_UPSTREAM_URL]=http://orders.internal:8080
  [DECK_OKTA_ISSUER]=https://dev-123.okta.com/oauth2/default
  [DECK_OKTA_AUDIENCE]=api://default
)
for file in deploy/deck/*.yaml; do
  rendered="$tmp/$(basename "$file")"
  cp "$file" "$rendered"
  for name in "${!example[@]}"; do
    sed -i "s|\${{ env \"$name\" }}|${example[$name]}|g" "$rendered"
  done
  if grep -q '\${{' "$rendered"; then
    echo "$file: a \${{ env }} placeholder without an example value in $0" >&2
    exit 1
  fi
  deck validate -s "$rendered"
  echo "$file: deck validate OK"
done

for unit in deploy/vm/*.service; do
  # Warnings (a misspelt value, a missing ExecStart binary) go to stderr with exit 0: fail on any.
  out=$(systemd-analyze verify "$unit" 2>&1) || { echo "$out" >&2; exit 1; }
  if [ -n "$out" ]; then
    echo "$out" >&2
    exit 1
  fi
  echo "$unit: systemd-analyze verify OK"
done

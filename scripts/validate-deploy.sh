#!/usr/bin/env bash
# Offline validation of the deployment assets with the tools users run (Debian packages, installed
# when missing): docker-compose.yml in each profile with `docker-compose config` (Compose 1.29, the
# compose-spec schema; no Docker engine needed), and the decK state files with decK 1.4's `deck
# validate` (entity structure). decK 1.4 predates `${{ env "DECK_…" }}`: the placeholders are filled
# with example values first. Plugin configs, k8s manifests and the systemd unit are checked by
# spec/01-unit/docker-assets (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v deck >/dev/null || missing+=(deck)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for profile in "" postgres hybrid kong-managed; do
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

#!/usr/bin/env bash
# Validates the declarative Kong config with decK (Debian's `deck` package, decK 1.4: entity
# structure only, offline; plugin config contents are checked by spec/01-unit/docker-assets).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v deck >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq deck >/dev/null
fi
deck validate -s kong/kong.yml
echo "kong/kong.yml: deck validate OK"

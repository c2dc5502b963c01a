#!/bin/sh
# Prints the kong.conf lines okta-jwt's externally supervised plugin server needs on the Kong version
# given as $1 (as `kong version` prints it). kong/Dockerfile appends them to /etc/kong/kong.conf, which
# Kong reads at start; KONG_… variables still override it. docs/deploy.md "Kong versions" has the why;
# cli/kong-versions.ts holds the same rule for the doctor (a test keeps the two equal).
#
# Kong 3.1 to 3.4 run an external plugin only after a readiness check that each worker schedules for
# plugin servers with a start command: without one, okta-jwt never runs. A start command that serves
# nothing lets the check connect to the external server's socket. Kong 3.5 and later have no such
# check, and on Kong 3.9 any start command makes the Admin API's GET / answer 500: nothing to add.
set -eu
case "${1:?usage: $0 KONG_VERSION}" in
  3.[1-4].*) echo 'pluginserver_okta_jwt_start_cmd = /bin/sleep 100000000' ;;
esac

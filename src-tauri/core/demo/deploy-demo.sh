#!/bin/sh
# Liftoff's demo deploy: simulates deploying the sample project in a few
# seconds, with the log a real deploy prints. It changes nothing but the
# state/ folder beside it, where the smoke check reads what is "live".
set -eu
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
env="${LIFTOFF_ENVIRONMENT:-demo}"
say "Deploying ${LIFTOFF_PROJECT:-the sample} ${LIFTOFF_VERSION} to ${env} (was ${LIFTOFF_PREVIOUS_VERSION:-nothing})"
say "Run ${LIFTOFF_RUN_ID:-?}, build ${LIFTOFF_BUILD_REF:-from the release tag}"
say "Fetching artifact billing-${LIFTOFF_VERSION}.tar.gz from the package registry"
for p in 8 23 41 64 87 100; do
    printf '\rDownloading billing-%s.tar.gz  %3s%%' "${LIFTOFF_VERSION}" "$p"
    sleep 0.15
done
printf '\n'
say "Checksum sha256:9f2c4e1b7a0d... verified"
say "Applying database migrations"
for m in 0142_invoice_tax_lines 0143_tax_engine_switch; do
    sleep 0.2
    say "  migration ${m} ... ok"
done
say "Rolling out to 3 instances (max unavailable 1)"
for i in 1 2 3; do
    sleep 0.3
    printf '\033[32m  instance billing-%s-%s ready\033[0m\n' "$env" "$i"
done
if [ "${DEMO_FAIL:-}" = "deploy" ]; then
    printf '\033[31mERROR: instance billing-%s-2 failed its readiness probe\033[0m\n' "$env" >&2
    exit 1
fi
mkdir -p state
printf '%s\n' "$LIFTOFF_VERSION" > "state/${env}.version"
say "Warming caches"
sleep 0.2
say "Deployed ${LIFTOFF_VERSION} to ${env}"

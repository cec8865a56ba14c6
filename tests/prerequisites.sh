#!/usr/bin/env bash
# Installs what netrun's test suite needs beyond the Rust toolchain. Idempotent; needs root
# (or sudo) for apt-get. Nothing here is optional: a missing prerequisite fails the tests.
set -euo pipefail
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}"
fi

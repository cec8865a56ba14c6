#!/usr/bin/env bash
# Installs what netrun's test suite needs beyond the Rust toolchain: OpenSSH's sshd (a real,
# independent SSH server the client tests talk to on 127.0.0.1), ssh-keygen, python3, GNU time
# (benchmarks), a C compiler (the C plugin tests) and the pinned Python packages fakenos,
# nornir and ntc-templates. Idempotent; needs root (or sudo) for apt-get. Nothing here is optional: a
# missing prerequisite makes the tests fail, never skip.
set -euo pipefail
need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
command -v python3 >/dev/null || need_apt+=(python3)
[ -x /usr/bin/time ] || need_apt+=(time)
# A C compiler: tests/cli/plugins.rs builds the C example plugin with `cc`.
command -v cc >/dev/null || need_apt+=(gcc libc6-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# Python packages the tests compare netrun with, each pinned and verified importable by the
# `python3` found on PATH (the tests use the same one):
# - fakenos: an independent simulator of network device CLIs over SSH (paramiko), used by
#   tests/cli/fakenos.rs through tests/fixtures/fakenos_serve.py. The tests compare netrun's
#   output with what this exact version's shell prints.
# - nornir: the reference for inventory resolution. tests/nornir/ loads the same inventories
#   with nornir (tests/fixtures/nornir_inventory.py) and netrun and compares every resolved
#   field; the expected values are this exact version's.
FAKENOS_VERSION=1.2.1
NORNIR_VERSION=3.6.0
pip_ok() { # PACKAGE VERSION MODULE
    python3 -c "import importlib.metadata as m, sys, $3; sys.exit(m.version('$1') != '$2')" 2>/dev/null
}
pip_install() { # PACKAGE VERSION MODULE
    pip_ok "$@" && return 0
    if ! python3 -m pip --version >/dev/null 2>&1; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-pip
    fi
    pip_args=(--quiet --disable-pip-version-check)
    # A distribution's own python3 (PEP 668) refuses plain `pip install`.
    if [ -e "$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/EXTERNALLY-MANAGED" ]; then
        pip_args+=(--break-system-packages)
    fi
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install "${pip_args[@]}" "$1==$2" || {
        echo "prerequisites: failed to install $1==$2 with $(command -v python3) -m pip" >&2
        exit 1
    }
    pip_ok "$@" || { echo "prerequisites: $1==$2 installed but not importable by $(command -v python3)" >&2; exit 1; }
}
pip_install fakenos "$FAKENOS_VERSION" fakenos
pip_install nornir "$NORNIR_VERSION" nornir

# ntc-templates: the TextFSM templates and index that tests/textfsm parses the shared corpus with
# (nothing of it is copied into the repository), plus the reference textfsm it pulls in, which the
# differential tests run through tests/fixtures/textfsm_reference.py with the `python3` on PATH.
# Pinned: the corpus holds what exactly this release (with textfsm 2.1.0) produces.
pip_install ntc-templates 9.2.0 ntc_templates
pip_install textfsm 2.1.0 textfsm

#!/usr/bin/env bash
# Install and start everything nestgate needs on a fresh Debian machine, as root. Idempotent:
# a second run only checks. Debian packages, a running dockerd (no-new-privileges by default),
# an active single-node swarm, and the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v mmdebstrap >/dev/null || need_pkgs+=(mmdebstrap)
command -v node >/dev/null || need_pkgs+=(nodejs)
command -v npm >/dev/null || need_pkgs+=(npm)
command -v psql >/dev/null || need_pkgs+=(postgresql-client)
command -v chromium >/dev/null || need_pkgs+=(chromium)  # the evidence self-test renders report.html
command -v ssh-keygen >/dev/null || need_pkgs+=(openssh-client)  # signed evidence (nestgate verify)
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)  # the two-node self-test's ssh:// node host
command -v ip >/dev/null || need_pkgs+=(iproute2)  # the two-node rig's network namespaces and veth links
command -v openssl >/dev/null || need_pkgs+=(openssl)  # the TLS engine self-test's throwaway CA
python3 -c 'import venv, ensurepip' 2>/dev/null || need_pkgs+=(python3-venv)
if ((${#need_pkgs[@]})); then
  log "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (--no-new-privileges)"
  mkdir -p /var/log
  nohup dockerd --no-new-privileges >/var/log/nestgate-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/nestgate-dockerd.log"; exit 1; }
fi

if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != "active" ]; then
  log "initializing a single-node swarm"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
log "installing nestgate into .venv"
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c 'import nestgate.gate.plugin' || { log "nestgate did not install"; exit 1; }
log "ready: $(docker version --format 'engine {{.Server.Version}}'), swarm active, .venv ok"

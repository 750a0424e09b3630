#!/usr/bin/env bash
# Make sure one of the project's own podman networks exists under the pinned
# backend (netavark, tools/containers.conf), with DNS between its containers.
#
# A machine that ran the project before netavark was pinned may still hold the
# network as a CNI config (/etc/cni/net.d/NAME.conflist) and its bridge, which
# makes netavark refuse the same subnet. Only that network's own leftovers are
# removed, and only when no container is attached to the old bridge; networks
# and containers the project did not create are never touched.
#
# usage: tools/project-network.sh NAME [SUBNET]
set -euo pipefail

name="${1:?usage: $0 NAME [SUBNET]}"
subnet="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
"${here}/prune-dns-records.sh" "${name}"

if podman network exists "${name}"; then
  if [[ "$(podman network inspect -f '{{.DNSEnabled}}' "${name}")" != true ]]; then
    echo "error: podman network ${name} has DNS turned off; remove it (podman network rm ${name}) and rerun" >&2
    exit 1
  fi
  exit 0
fi

stale="/etc/cni/net.d/${name}.conflist"
if [[ -f "${stale}" ]]; then
  bridge="$(python3 -c 'import json,sys; print(next((p.get("bridge","") for p in json.load(open(sys.argv[1]))["plugins"] if p.get("type")=="bridge"), ""))' "${stale}")"
  if [[ -n "${bridge}" ]] && ip link show "${bridge}" >/dev/null 2>&1; then
    if [[ -n "$(ip -o link show master "${bridge}")" ]]; then
      echo "error: ${name} is an old CNI network whose bridge ${bridge} still has containers attached;" \
        "remove those containers (podman rm -f ...) and rerun" >&2
      exit 1
    fi
    ip link delete "${bridge}"
  fi
  rm -f "${stale}"
  echo "removed the CNI leftovers of ${name} (bridge ${bridge:-none})"
fi

podman network create ${subnet:+--subnet "${subnet}"} "${name}" >/dev/null
echo "created podman network ${name}${subnet:+ (${subnet})}"

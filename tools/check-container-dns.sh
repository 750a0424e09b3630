#!/usr/bin/env bash
# Prove what Molecule and the lab rely on: two containers on one podman network
# resolve each other by name. Fails at once, naming the cause, instead of a
# Kafka quorum timing out minutes later with UnknownHostException.
#
# usage: tools/check-container-dns.sh [IMAGE]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-${here}/containers.conf}"
image="${1:-localhost/kafkaops-debian:bookworm}"
network="kafkaops-dnscheck"
a="kafkaops-dnscheck-a"
b="kafkaops-dnscheck-b"

cleanup() {
  podman rm -f -t 0 "${a}" "${b}" >/dev/null 2>&1 || true
  podman network rm "${network}" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

fail() {
  local backend
  backend="$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo unknown)"
  {
    echo "error: containers on one podman network cannot resolve each other by name: $*"
    echo "  podman network backend: ${backend} (tools/containers.conf pins netavark; CONTAINERS_CONF=${CONTAINERS_CONF})"
    for pkg in netavark aardvark-dns; do
      dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed' \
        || echo "  package ${pkg} is not installed: run make host-deps (tools/host-packages.txt lists it)"
    done
    echo "  Molecule's nodes would fail later with UnknownHostException between brokers."
  } >&2
  exit 1
}

[[ "$(podman info --format '{{.Host.NetworkBackend}}')" == netavark ]] \
  || fail "podman uses the $(podman info --format '{{.Host.NetworkBackend}}') backend, not netavark"
"${here}/project-network.sh" "${network}" >/dev/null
for name in "${a}" "${b}"; do
  podman run -d --name "${name}" --network "${network}" --label kafkaops.selfcheck=true \
    "${image}" sleep 60 >/dev/null
done
# aardvark-dns answers as soon as the container is up; a short retry covers its start.
for _ in 1 2 3 4 5; do
  if podman exec "${a}" getent hosts "${b}" >/dev/null 2>&1; then
    echo "container DNS: ${a} resolves ${b} ($(podman exec "${a}" getent hosts "${b}" | awk '{print $1}'))"
    exit 0
  fi
  sleep 1
done
fail "${a} could not resolve ${b}"

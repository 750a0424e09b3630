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
containers=(kafkaops-dnscheck-a kafkaops-dnscheck-b)
a="${containers[0]}"
b="${containers[1]}"

# One container per `podman rm`: podman 4.3 given several names, one of them
# missing, removes none of them and still exits 0. A container whose network
# setup failed is left "Created", and must go too, or the next run cannot
# reuse its name.
cleanup() {
  local name left=()
  for name in "${containers[@]}"; do
    podman container exists "${name}" || continue
    podman rm -f -t 0 "${name}" >/dev/null 2>&1 || true
    podman container exists "${name}" && left+=("${name}")
  done
  if podman network exists "${network}"; then
    podman network rm -f "${network}" >/dev/null 2>&1 || true
    podman network exists "${network}" && left+=("network ${network}")
  fi
  if ((${#left[@]})); then
    echo "warning: could not remove ${left[*]}; remove by hand: podman rm -f ${containers[*]}; podman network rm -f ${network}" >&2
  fi
  return 0
}
trap cleanup EXIT
cleanup
# Records left by an interrupted run would send the project's next containers to dead addresses.
"${here}/prune-dns-records.sh" kraft-

# The programs podman's netavark backend runs, and the Debian package of each.
# Bookworm's netavark (1.4) sets up every network with iptables but does not
# depend on it, so a --no-install-recommends install can lack it.
has_helper() { # a podman helper binary, in any of the directories podman searches
  local dir
  for dir in /usr/libexec/podman /usr/lib/podman /usr/local/libexec/podman /usr/local/lib/podman; do
    [[ -x "${dir}/$1" ]] && return 0
  done
  return 1
}
missing_programs() { # each program is named after its Debian package
  local program
  for program in netavark aardvark-dns; do has_helper "${program}" || echo "${program}"; done
  PATH="${PATH}:/usr/sbin:/sbin" command -v iptables >/dev/null || echo iptables
}

fail() {
  local backend program missing=()
  backend="$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo unknown)"
  mapfile -t missing < <(missing_programs)
  {
    echo "error: containers on one podman network cannot resolve each other by name: $*"
    echo "  podman network backend: ${backend} (tools/containers.conf pins netavark; CONTAINERS_CONF=${CONTAINERS_CONF})"
    if ((${#missing[@]})); then
      echo "  missing programs the netavark backend runs:"
      for program in "${missing[@]}"; do echo "    ${program} (package ${program})"; done
      echo "  install them: apt-get install --no-install-recommends ${missing[*]}"
      echo "  (make host-deps does this: tools/host-packages.txt lists every one)"
    else
      echo "  netavark, aardvark-dns and iptables are all installed; read podman's error above"
    fi
    echo "  Molecule's nodes would fail later with UnknownHostException between brokers."
  } >&2
  exit 1
}

# Runs a podman command; on failure, shows podman's own error, then the diagnosis.
podman_or_fail() {
  local what="$1" err
  shift
  if ! err="$("$@" 2>&1 >/dev/null)"; then
    echo "${err}" >&2
    fail "${what} failed"
  fi
}

backend="$(podman info --format '{{.Host.NetworkBackend}}')"
[[ "${backend}" == netavark ]] || fail "podman uses the ${backend} backend, not netavark"
podman_or_fail "creating the podman network ${network}" "${here}/project-network.sh" "${network}"
for name in "${a}" "${b}"; do
  podman_or_fail "starting ${name} on ${network}" \
    podman run -d --name "${name}" --network "${network}" --label kafkaops.selfcheck=true "${image}" sleep 60
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

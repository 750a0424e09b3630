#!/usr/bin/env bash
# Drop aardvark-dns records of the project's networks that name containers
# which no longer run.
#
# netavark removes a container's record when it tears the container's network
# down. A run killed part-way (an interrupted `make test`, a lost session) can
# skip that, and the record outlives its container. The next container of the
# same name then resolves to two addresses, one of them dead: Kafka's quorum
# never forms and the converge times out waiting for port 9092, with nothing
# in the log that points here.
#
# Only networks whose name starts with PREFIX are touched (default: kraft-).
# usage: tools/prune-dns-records.sh [PREFIX]
set -euo pipefail

prefix="${1:-kraft-}"
dir="${AARDVARK_DIR:-/run/containers/networks/aardvark-dns}"
lock="$(dirname "${dir}")/aardvark.lock"

shopt -s nullglob
files=("${dir}/${prefix}"*)
((${#files[@]})) || exit 0

prune() {
  local file dropped=0 kept running
  # Read under the lock, so no record is added between this listing and the rewrite. A
  # container caught mid-start (record written, not yet running) would lose its record:
  # callers run this before they start the project's containers.
  running="$(podman ps --no-trunc -q)"
  for file in "${files[@]}"; do
    # Line 1 holds the network's gateway addresses; every other line is one
    # container: ID ADDRESSES [ADDRESSES6] NAMES.
    kept="$(awk -v running="${running}" '
      BEGIN { n = split(running, ids, "\n"); for (i = 1; i <= n; i++) live[ids[i]] = 1 }
      NR == 1 || ($1 in live) { print; next }
      { print "dropped: " FILENAME ": " $NF > "/dev/stderr" }
    ' "${file}")"
    if [[ "${kept}" != "$(cat "${file}")" ]]; then
      printf '%s\n' "${kept}" > "${file}.tmp"
      mv "${file}.tmp" "${file}"
      dropped=1
    fi
  done
  if ((dropped)) && [[ -s "${dir}/aardvark.pid" ]]; then
    # aardvark-dns rereads its records on SIGHUP, as after netavark's own changes.
    kill -HUP "$(cat "${dir}/aardvark.pid")" 2>/dev/null || true
  fi
}

# netavark holds this lock while it edits the records; take it for the same reason.
if [[ -e "${lock}" ]] && command -v flock >/dev/null; then
  exec 9<"${lock}"
  flock 9
fi
prune

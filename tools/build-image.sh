#!/usr/bin/env bash
# Build (or reuse) the Debian systemd image that stands in for a GCP VM in the
# lab and in Molecule. No registry is reachable, so the rootfs comes from
# debootstrap using the mirror of this machine's own apt sources.
#
# usage: tools/build-image.sh [SUITE] [TAG]
set -euo pipefail

suite="${1:-bookworm}"
tag="${2:-localhost/kafkaops-debian:${suite}}"
# Bump when the package list below changes, so cached images are rebuilt.
revision=2
# openssh-server: the lab reaches its hosts over ssh (pipelining); Molecule ignores it.
packages=systemd,systemd-sysv,dbus,python3,python3-apt,python3-venv,iproute2,procps,sudo,ca-certificates,iputils-ping,openssh-server

if podman image exists "${tag}" \
   && [[ "$(podman image inspect -f '{{ index .Labels "kafkaops.revision" }}' "${tag}")" == "${revision}" ]]; then
  echo "cached: ${tag}"
  exit 0
fi

apt_mirror() {
  local uri
  uri="$(grep -hsE '^\s*URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)"
  [[ -n "${uri}" ]] || uri="$(grep -hsE '^\s*deb\s' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1)"
  [[ -n "${uri}" ]] || { echo "error: no Debian mirror found in this machine's apt sources" >&2; exit 1; }
  echo "${uri}"
}

mirror="$(apt_mirror)"
rootfs="$(mktemp -d)"
trap 'rm -rf "${rootfs}"' EXIT
echo "debootstrap ${suite} from the host's apt mirror"
debootstrap --variant=minbase --include="${packages}" "${suite}" "${rootfs}" "${mirror}" >/dev/null

# Hosts behave like fresh cloud VMs: apt works, but no console gettys.
printf 'deb %s %s main\ndeb %s %s-updates main\n' "${mirror}" "${suite}" "${mirror}" "${suite}" > "${rootfs}/etc/apt/sources.list"
chroot "${rootfs}" systemctl mask getty@tty1.service console-getty.service systemd-logind.service >/dev/null 2>&1 || true
: > "${rootfs}/etc/machine-id"
# Every host makes its own SSH host keys at first boot instead of sharing the image's.
rm -f "${rootfs}"/etc/ssh/ssh_host_*
mkdir -p "${rootfs}/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  > "${rootfs}/etc/systemd/system/ssh.service.d/host-keys.conf"

tar -C "${rootfs}" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL kafkaops.revision=${revision}" \
  - "${tag}" >/dev/null
echo "built: ${tag}"

#!/usr/bin/env bash
# The local lab: podman containers with systemd standing in for GCP VMs.
#   tools/lab.sh up     create/start the hosts, then run site.yml on them
#   tools/lab.sh down   remove the hosts and their network
#   tools/lab.sh status print what runs where
# Host names, addresses and roles come from inventories/lab/hosts.yml.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "${here}/.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-${here}/containers.conf}"
image="${LAB_IMAGE:-localhost/kafkaops-debian:bookworm}"
network="kraft-lab"
subnet="198.18.10.0/24"
prefix="kraft-lab-"
# Lab-only key for the inventory's ssh connection (never used outside the lab).
ssh_key="${repo}/build/lab-ssh/id_ed25519"
# name ip published-ports(comma separated, optional)
hosts=(
  "kafka1 198.18.10.11"
  "kafka2 198.18.10.12"
  "kafka3 198.18.10.13"
  "apps1 198.18.10.20 127.0.0.1:8001:8001,127.0.0.1:8002:8002"
)

wait_systemd() {
  local name="$1" state
  for _ in $(seq 1 60); do
    state="$(podman exec "${name}" systemctl is-system-running 2>/dev/null || true)"
    [[ "${state}" == running || "${state}" == degraded ]] && return 0
    sleep 1
  done
  echo "error: systemd in ${name} did not come up (state: ${state:-unknown})" >&2
  return 1
}

# Ansible reaches the lab over ssh: the podman connection cannot pipeline and costs
# 1.5-2.7 s per task. Each host gets this machine's lab key for root.
authorize_ssh() {
  local name="$1" ip="$2"
  if ! podman exec "${name}" test -x /usr/sbin/sshd; then
    echo "error: ${name} has no sshd (image older than revision 2); run: make lab-down lab" >&2
    return 1
  fi
  podman exec -i "${name}" sh -c 'umask 077; mkdir -p /root/.ssh; cat > /root/.ssh/authorized_keys' <"${ssh_key}.pub"
  for _ in $(seq 1 30); do
    ssh -i "${ssh_key}" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o ConnectTimeout=2 -o LogLevel=ERROR "root@${ip}" true && return 0
    sleep 1
  done
  echo "error: no ssh to ${name} (${ip})" >&2
  return 1
}

up() {
  if [[ ! -f "${ssh_key}" ]]; then
    mkdir -p "$(dirname "${ssh_key}")"
    ssh-keygen -q -t ed25519 -N '' -C kafkaops-lab -f "${ssh_key}"
  fi
  "${here}/project-network.sh" "${network}" "${subnet}"
  for spec in "${hosts[@]}"; do
    read -r host ip ports <<<"${spec}"
    name="${prefix}${host}"
    if ! podman container exists "${name}"; then
      publish=()
      for p in ${ports//,/ }; do publish+=(--publish "${p}"); done
      podman run -d --name "${name}" --hostname "${host}" \
        --network "${network}" --ip "${ip}" --network-alias "${host}" \
        --systemd=always "${publish[@]}" "${image}" /sbin/init >/dev/null
      echo "started ${name} (${ip})"
    elif [[ "$(podman inspect -f '{{.State.Running}}' "${name}")" != true ]]; then
      podman start "${name}" >/dev/null
      echo "restarted ${name}"
    fi
  done
  for spec in "${hosts[@]}"; do
    read -r host ip _ <<<"${spec}"
    wait_systemd "${prefix}${host}"
    authorize_ssh "${prefix}${host}" "${ip}"
  done
  cd "${repo}"
  ansible-playbook site.yml -i inventories/lab "$@"
  status
}

down() {
  for spec in "${hosts[@]}"; do
    read -r host _ <<<"${spec}"
    if podman rm -f -t 5 "${prefix}${host}" >/dev/null 2>&1; then echo "removed ${prefix}${host}"; fi
  done
  podman network exists "${network}" && podman network rm "${network}" >/dev/null
  echo "lab removed"
}

status() {
  echo
  echo "== kafkaops.kraft lab =="
  for spec in "${hosts[@]}"; do
    read -r host ip _ <<<"${spec}"
    name="${prefix}${host}"
    podman container exists "${name}" || { printf '%-8s %-14s absent\n' "${host}" "${ip}"; continue; }
    units="$(podman exec "${name}" systemctl list-units --type=service --state=running --no-legend \
      'kafka-node*' 'kafkaops-*' 2>/dev/null | awk '{print $1}' | tr '\n' ' ')"
    printf '%-8s %-14s container %-18s services: %s\n' "${host}" "${ip}" "${name}" "${units:-none}"
  done
  local brokers="" spec host
  for spec in "${hosts[@]}"; do
    read -r host _ <<<"${spec}"
    brokers+="$(podman exec "${prefix}${host}" sh -c \
      'grep -h ^advertised.listeners /etc/kafka/node*/server.properties 2>/dev/null' 2>/dev/null \
      | sed 's/^advertised.listeners=//; s/[A-Z_]*:\/\///g' | tr '\n' ',')" || true
  done
  brokers="${brokers%,}"
  echo
  echo "Kafka bootstrap:  ${brokers:-not deployed}"
  echo "Kafka CLI:        podman exec -it ${prefix}kafka1 /opt/kafka/bin/kafka-topics.sh --describe --topic test-topic --bootstrap-server localhost:9092"
  echo "Producer:         http://127.0.0.1:8001/send   (docs: http://127.0.0.1:8001/docs)"
  echo "Consumer page:    http://127.0.0.1:8002/"
  echo "Try:              curl -X POST http://localhost:8001/send -H 'Content-Type: application/json' -d '{\"key\": \"Hello Kafka!\"}'"
  echo "Remove:           make lab-down"
}

cmd="${1:-up}"
shift || true
case "${cmd}" in
  up) up "$@" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

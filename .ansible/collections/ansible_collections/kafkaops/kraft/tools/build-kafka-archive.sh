#!/usr/bin/env bash
# Assemble a Kafka distribution archive (libs/ + config/) from the official
# release jars, resolved through this machine's own Maven configuration.
# Used where Apache's download site is unreachable; the kafka_kraft role installs
# it with kafka_kraft_archive_source=local. The result is cached: an existing
# archive is reused without touching Maven.
#
# usage: tools/build-kafka-archive.sh [VERSION] [OUTDIR]
set -euo pipefail

version="${1:-${KAFKA_VERSION:-3.9.1}}"
scala="${KAFKA_SCALA_VERSION:-2.13}"
here="$(cd "$(dirname "$0")" && pwd)"
outdir="${2:-${here}/../build/dist}"
name="kafka_${scala}-${version}"
archive="${outdir}/${name}.tgz"

if [[ -s "${archive}" && -s "${archive}.sha512" ]] \
   && (cd "${outdir}" && sha512sum --quiet -c "${name}.tgz.sha512"); then
  echo "cached: ${archive}"
  exit 0
fi

command -v mvn >/dev/null || { echo "error: mvn not found (install Debian's maven)" >&2; exit 1; }
mkdir -p "${outdir}"
stage="$(mktemp -d)"
trap 'rm -rf "${stage}"' EXIT
root="${stage}/${name}"
mkdir -p "${root}/libs" "${root}/config"

mvn -B -q -f "${here}/kafka-dist/pom.xml" \
  -Dkafka.version="${version}" -Dscala.binary.version="${scala}" \
  dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="${root}/libs"

# Fail early if the core or the tools did not resolve.
for jar in "kafka_${scala}-${version}.jar" "kafka-tools-${version}.jar" "kafka-clients-${version}.jar"; do
  [[ -f "${root}/libs/${jar}" ]] || { echo "error: ${jar} missing from resolved jars" >&2; exit 1; }
done

cp "${here}/kafka-dist/log4j.properties" "${here}/kafka-dist/tools-log4j.properties" "${root}/config/"
printf '%s\n' "Apache Kafka ${version} (Scala ${scala}) assembled from release jars by kafkaops.kraft." \
  "There are no bin/ scripts; the kafka_kraft role installs equivalents." > "${root}/README.kafkaops"

# Reproducible tar: same jars give the same checksum on every rebuild.
tmp="${archive}.tmp"
tar -C "${stage}" --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner \
  -cf - "${name}" | gzip -n -9 > "${tmp}"
mv "${tmp}" "${archive}"
(cd "${outdir}" && sha512sum "${name}.tgz" > "${name}.tgz.sha512")
echo "built: ${archive} ($(du -h "${archive}" | cut -f1))"

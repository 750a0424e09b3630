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
# One Maven at a time: `make -j` may run the archive builds and this side by side, and
# two resolutions writing the same artifact into ~/.m2 can corrupt it.
exec 9>"${outdir}/.maven.lock"
flock 9
stage="$(mktemp -d)"
trap 'rm -rf "${stage}"' EXIT
root="${stage}/${name}"
mkdir -p "${root}/libs" "${root}/config"

# Per release family (the major version): the POM profile that adds the
# logging backend, and the logging configuration files.
family="${version%%.*}"
case "${family}" in
  3) configs=(log4j.properties tools-log4j.properties); family_opts=() ;;
  4)
    configs=(log4j2.yaml tools-log4j2.yaml)
    # The release's log4j2 version, from kafka-server's POM (log4j-api, log4j-core).
    mvn -B -q dependency:copy -Dartifact="org.apache.kafka:kafka-server:${version}:pom" \
      -DoutputDirectory="${stage}"
    log4j2="$(awk '/<artifactId>log4j-core<\/artifactId>/ {found = 1}
                   found && /<version>/ {gsub(/.*<version>|<\/version>.*/, ""); print; exit}' \
              "${stage}/kafka-server-${version}.pom")"
    [[ -n "${log4j2}" ]] || { echo "error: no log4j-core in kafka-server ${version}'s POM" >&2; exit 1; }
    family_opts=(-Dlog4j2.version="${log4j2}") ;;
  *) echo "error: Kafka ${version}: only the 3.x and 4.x families are known" >&2; exit 1 ;;
esac

mvn -B -q -f "${here}/kafka-dist/pom.xml" \
  -Dkafka.version="${version}" -Dscala.binary.version="${scala}" -Dkafka.family="${family}" "${family_opts[@]}" \
  dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="${root}/libs"

# Fail early if the core or the tools did not resolve.
for jar in "kafka_${scala}-${version}.jar" "kafka-tools-${version}.jar" "kafka-clients-${version}.jar"; do
  [[ -f "${root}/libs/${jar}" ]] || { echo "error: ${jar} missing from resolved jars" >&2; exit 1; }
done

cp "${configs[@]/#/${here}/kafka-dist/}" "${root}/config/"
printf '%s\n' "Apache Kafka ${version} (Scala ${scala}) assembled from release jars by kafkaops.kraft." \
  "There are no bin/ scripts; the kafka_kraft role installs equivalents." > "${root}/README.kafkaops"

# Reproducible tar: same jars give the same checksum on every rebuild.
tmp="${archive}.tmp"
tar -C "${stage}" --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner \
  -cf - "${name}" | gzip -n -9 > "${tmp}"
mv "${tmp}" "${archive}"
(cd "${outdir}" && sha512sum "${name}.tgz" > "${name}.tgz.sha512")
echo "built: ${archive} ($(du -h "${archive}" | cut -f1))"

#!/usr/bin/env bash
# Spark 3.5 with the Iceberg 1.12 runtime, the reference the maintenance,
# compaction, REST and serve tests compare against (tests/peers/spark.py
# drives it). pyspark itself is pinned in tests/requirements.txt; this
# script puts the runtime jar in .peers/spark/ (from Maven Central, cached
# in ~/.m2) and installs Java 17 and Maven when they are missing.
# Idempotent; quiet when it works.
set -euo pipefail
cd "$(dirname "$0")/../.."

ARTIFACT=org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.12.0
JAR=.peers/spark/iceberg-spark-runtime-3.5_2.12-1.12.0.jar
[ -s "$JAR" ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

mkdir -p .peers/spark
mvn -B -q dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory=.peers/spark
[ -s "$JAR" ] || { echo "spark.sh: $JAR was not fetched" >&2; exit 1; }

#!/usr/bin/env bash
# Run the ex11 pipeline on a cluster runner: bash deploy/run-on.sh dataflow|flink|spark|samza INPUT OUTPUT
# The options come from deploy/options/<runner>.txt with ${VARS} taken from the environment.
# Not runnable on the course machine: Flink, Spark and Samza need their job-server jars (Maven Central
# is unreachable there) and Dataflow needs a Google Cloud project. See the README.
set -euo pipefail
runner=${1:?usage: run-on.sh dataflow|flink|spark|samza INPUT OUTPUT}
input=${2:?input path or gs:// pattern}
output=${3:?output directory or gs:// prefix}
here="$(cd "$(dirname "$0")" && pwd)"
options="$here/options/$runner.txt"
[ -f "$options" ] || { echo "no options for runner '$runner' ($options)" >&2; exit 2; }
cd "$here/../../.."
python -m exercises.ex11_beam_runners.run --impl solution --options-file "$options" ${EX11_BATCHED:+--batched} \
  --input "$input" --output "$output" --db "${EX11_DB:-/tmp/ex11.db}"

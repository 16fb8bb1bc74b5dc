#!/usr/bin/env bash
# Run the Beam translation on Google Cloud Dataflow: same code, gs:// paths, DataflowRunner.
# Needs: gcloud auth application-default login; the Dataflow API enabled; a bucket you own;
# unset STORAGE_EMULATOR_HOST (otherwise the launcher would talk to the local emulator).
# The pipeline is several modules, so it ships as a package: the script stages them with setup.py
# into a directory and launches from there (STAGE_ONLY=DIR stages into DIR and stops; the tests use it).
set -euo pipefail
: "${GCP_PROJECT:?set GCP_PROJECT}" "${GCP_REGION:=europe-west1}" "${EX07_BUCKET:?set EX07_BUCKET}"
export GCP_PROJECT GCP_REGION EX07_BUCKET
unset STORAGE_EMULATOR_HOST
repo=$(cd "$(dirname "$0")/../../.." && pwd)
stage=${STAGE_ONLY:-$(mktemp -d)}
ex=exercises/ex07_spark_to_beam
mkdir -p "$stage/$ex/solution" "$stage/$ex/deploy"
cp "$repo/exercises/__init__.py" "$stage/exercises/"
cp "$repo/$ex/__init__.py" "$repo/$ex/records.py" "$repo/$ex/runtime.py" "$stage/$ex/"
cp "$repo/$ex/solution/__init__.py" "$repo/$ex/solution/beam_pipeline.py" "$stage/$ex/solution/"
cp "$repo/$ex/deploy/requirements-worker.txt" "$stage/$ex/deploy/"
cp "$repo/$ex/deploy/setup.py" "$stage/setup.py"
if [[ -n "${STAGE_ONLY:-}" ]]; then echo "staged in $stage"; exit 0; fi
cd "$stage"
mapfile -t options < <(grep -v '^#' "$repo/$ex/deploy/dataflow-options.txt" | envsubst)
gsutil cp "$repo/data/weblogs/access_logs_sample.csv" "gs://${EX07_BUCKET}/input/logs.csv"
python -m exercises.ex07_spark_to_beam.solution.beam_pipeline \
  --input "gs://${EX07_BUCKET}/input/*.csv" \
  --output "gs://${EX07_BUCKET}/beam/stats" \
  --deadletter "gs://${EX07_BUCKET}/beam/dead" \
  "${options[@]}"
gsutil cat "gs://${EX07_BUCKET}/beam/stats/part-*" | head

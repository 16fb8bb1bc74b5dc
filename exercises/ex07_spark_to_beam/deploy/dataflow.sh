#!/usr/bin/env bash
# Run the Beam translation on Google Cloud Dataflow: same code, gs:// paths, DataflowRunner.
# Needs: gcloud auth application-default login; the Dataflow API enabled; a bucket you own;
# unset STORAGE_EMULATOR_HOST (otherwise the launcher would talk to the local emulator).
set -euo pipefail
: "${GCP_PROJECT:?set GCP_PROJECT}" "${GCP_REGION:=europe-west1}" "${EX07_BUCKET:?set EX07_BUCKET}"
export GCP_PROJECT GCP_REGION EX07_BUCKET
unset STORAGE_EMULATOR_HOST
cd "$(dirname "$0")/../../.."
mapfile -t options < <(grep -v '^#' exercises/ex07_spark_to_beam/deploy/dataflow-options.txt | envsubst)
gsutil cp data/weblogs/access_logs_sample.csv "gs://${EX07_BUCKET}/input/logs.csv"
python -m exercises.ex07_spark_to_beam.solution.beam_pipeline \
  --input "gs://${EX07_BUCKET}/input/*.csv" \
  --output "gs://${EX07_BUCKET}/beam/stats" \
  --deadletter "gs://${EX07_BUCKET}/beam/dead" \
  "${options[@]}"
gsutil cat "gs://${EX07_BUCKET}/beam/stats/part-*" | head

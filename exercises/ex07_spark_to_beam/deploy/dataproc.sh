#!/usr/bin/env bash
# Run the Spark job on Dataproc Serverless (the GCS connector is preinstalled there, so spark_job.py
# reads and writes gs:// directly; --gcs-mode=direct makes sure it never stages).
# Needs: gcloud auth login; the Dataproc API enabled; a bucket you own; a subnet with Private Google
# Access in the region (Dataproc Serverless requirement).
set -euo pipefail
: "${GCP_PROJECT:?set GCP_PROJECT}" "${GCP_REGION:=europe-west1}" "${EX07_BUCKET:?set EX07_BUCKET}"
cd "$(dirname "$0")/.."
gcloud dataproc batches submit pyspark spark_job.py \
  --project="${GCP_PROJECT}" --region="${GCP_REGION}" \
  --deps-bucket="gs://${EX07_BUCKET}" \
  --version=2.3 \
  --properties=spark.sql.shuffle.partitions=8,spark.sql.session.timeZone=UTC \
  -- --input "gs://${EX07_BUCKET}/input/*.csv" \
     --output "gs://${EX07_BUCKET}/spark/stats" \
     --deadletter "gs://${EX07_BUCKET}/spark/dead" \
     --gcs-mode direct
# Compare with the Dataflow run: the two directories must hold the same rows.
diff <(gsutil cat "gs://${EX07_BUCKET}/spark/stats/part-*" | sort) \
     <(gsutil cat "gs://${EX07_BUCKET}/beam/stats/part-*" | sort) && echo "identical"

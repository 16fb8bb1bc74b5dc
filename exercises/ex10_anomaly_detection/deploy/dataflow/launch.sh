#!/usr/bin/env bash
# Build the Flex Template and run it on Dataflow against a managed Cassandra and InfluxDB Cloud.
# Needs: PROJECT, REGION, BUCKET, CASSANDRA_CONTACT_POINTS (host:port[,host...]), CASSANDRA_LOCAL_DC,
# INFLUXDB_URL, and the secrets created once below. Run from the repository root.
set -euo pipefail
: "${PROJECT:?}" "${REGION:?}" "${BUCKET:?}" "${CASSANDRA_CONTACT_POINTS:?}" "${CASSANDRA_LOCAL_DC:?}" "${INFLUXDB_URL:?}"
IMAGE="${REGION}-docker.pkg.dev/${PROJECT}/bootcamp/ex10:latest"
TEMPLATE="gs://${BUCKET}/templates/ex10.json"

# Once: the secrets (values from stdin, never on a command line).
#   printf %s "$INFLUXDB_TOKEN" | gcloud secrets create ex10-influxdb-token --data-file=-
#   printf %s "$CASSANDRA_PASSWORD" | gcloud secrets create ex10-cassandra-password --data-file=-
# and let the workers' service account read them (roles/secretmanager.secretAccessor).

gcloud builds submit --project "$PROJECT" --tag "$IMAGE" \
  -f exercises/ex10_anomaly_detection/deploy/dataflow/Dockerfile .
gcloud dataflow flex-template build "$TEMPLATE" --project "$PROJECT" --image "$IMAGE" --sdk-language PYTHON \
  --metadata-file exercises/ex10_anomaly_detection/deploy/dataflow/metadata.json

gcloud dataflow flex-template run "ex10-$(date +%Y%m%d-%H%M%S)" --project "$PROJECT" --region "$REGION" \
  --template-file-gcs-location "$TEMPLATE" \
  --parameters sdk_container_image="$IMAGE" \
  --parameters keyspace=ex10,detectors=shesd,splits=64 \
  --parameters influxdb_url="$INFLUXDB_URL",influxdb_database=ex10 \
  --parameters out_dir="gs://${BUCKET}/ex10/run" \
  --parameters ^~^worker_env="CASSANDRA_CONTACT_POINTS=${CASSANDRA_CONTACT_POINTS};CASSANDRA_LOCAL_DC=${CASSANDRA_LOCAL_DC};CASSANDRA_USERNAME=${CASSANDRA_USERNAME:-}" \
  --parameters ^~^secret_env="INFLUXDB_TOKEN=projects/${PROJECT}/secrets/ex10-influxdb-token/versions/latest;CASSANDRA_PASSWORD=projects/${PROJECT}/secrets/ex10-cassandra-password/versions/latest"

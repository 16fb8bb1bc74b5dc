#!/usr/bin/env bash
# Deploy the auction service to Google Cloud, from the repository root:
#   PROJECT=my-project REGION=europe-west1 DOMAIN=auctions.example.com \
#     bash exercises/ex08_realtime_auctions/deploy/deploy.sh
#
#   Cloud Run (the PaaS: the container, env vars for the database)  -> /api/*, /ws/*, /healthz
#   Cloud SQL for PostgreSQL 15 (managed; LISTEN/NOTIFY works)       <- DATABASE_URL (Secret Manager)
#   Cloud Storage bucket (static page, behind Cloud CDN)             -> everything else
#   one external HTTPS load balancer in front of both: ONE origin, so the session cookie stays
#   SameSite=Lax and no CORS is needed.
set -euo pipefail

: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${DOMAIN:?set DOMAIN (a name you can point at the LB)}"
HERE=$(cd "$(dirname "$0")" && pwd)
EX=$(dirname "$HERE")
IMAGE="$REGION-docker.pkg.dev/$PROJECT/auctions/api:${TAG:-v1}"
SA="auctions-api@$PROJECT.iam.gserviceaccount.com"
INSTANCE="auctions-pg"
BUCKET="$PROJECT-auctions-web"
gcloud config set project "$PROJECT"

# 1. APIs, registry, service account
gcloud services enable run.googleapis.com sqladmin.googleapis.com secretmanager.googleapis.com \
  artifactregistry.googleapis.com cloudbuild.googleapis.com compute.googleapis.com
gcloud artifacts repositories describe auctions --location "$REGION" >/dev/null 2>&1 ||
  gcloud artifacts repositories create auctions --repository-format docker --location "$REGION"
gcloud iam service-accounts describe "$SA" >/dev/null 2>&1 ||
  gcloud iam service-accounts create auctions-api --display-name "auction service"
for role in roles/cloudsql.client roles/secretmanager.secretAccessor; do
  gcloud projects add-iam-policy-binding "$PROJECT" --member "serviceAccount:$SA" --role "$role" >/dev/null
done

# 2. Managed PostgreSQL and the DATABASE_URL secret (Cloud Run reaches it by the Cloud SQL socket)
gcloud sql instances describe "$INSTANCE" >/dev/null 2>&1 ||
  gcloud sql instances create "$INSTANCE" --database-version POSTGRES_15 --region "$REGION" \
    --tier db-custom-1-3840 --availability-type zonal --storage-auto-increase
gcloud sql databases describe auctions --instance "$INSTANCE" >/dev/null 2>&1 ||
  gcloud sql databases create auctions --instance "$INSTANCE"
if ! gcloud secrets describe auctions-database-url >/dev/null 2>&1; then
  PASSWORD=$(openssl rand -hex 24)
  gcloud sql users create auctions --instance "$INSTANCE" --password "$PASSWORD"
  printf 'postgresql://auctions:%s@/auctions?host=/cloudsql/%s:%s:%s' "$PASSWORD" "$PROJECT" "$REGION" "$INSTANCE" |
    gcloud secrets create auctions-database-url --data-file=-
fi

# 3. Build the image, migrate, deploy the service
gcloud builds submit --config "$HERE/cloudbuild.yaml" --substitutions "_IMAGE=$IMAGE" .
render() { sed -e "s#REGION-docker.pkg.dev/PROJECT/auctions/api:v1#$IMAGE#" -e "s/PROJECT/$PROJECT/g" \
             -e "s/REGION/$REGION/g" "$1"; }
render "$HERE/migrate-job.yaml" > /tmp/auctions-migrate-job.yaml
gcloud run jobs replace /tmp/auctions-migrate-job.yaml --region "$REGION"
gcloud run jobs execute auctions-migrate --region "$REGION" --wait
render "$HERE/service.yaml" > /tmp/auctions-service.yaml
gcloud run services replace /tmp/auctions-service.yaml --region "$REGION"
gcloud run services add-iam-policy-binding auctions-api --region "$REGION" \
  --member allUsers --role roles/run.invoker

# 4. The static page in a bucket (config.js: same origin, so empty bases)
gcloud storage buckets describe "gs://$BUCKET" >/dev/null 2>&1 ||
  gcloud storage buckets create "gs://$BUCKET" --location "$REGION" --uniform-bucket-level-access
gcloud storage buckets update "gs://$BUCKET" --web-main-page-suffix index.html
gcloud storage buckets add-iam-policy-binding "gs://$BUCKET" --member allUsers --role roles/storage.objectViewer
API_BASE="" WS_BASE="" envsubst < "$HERE/config.js.template" > /tmp/auctions-config.js
gcloud storage cp "$EX/static/index.html" "$EX/static/app.js" "$EX/static/style.css" "gs://$BUCKET/"
gcloud storage cp /tmp/auctions-config.js "gs://$BUCKET/config.js"

# 5. One HTTPS load balancer: /api/*, /ws/*, /healthz -> Cloud Run; the rest -> the bucket
gcloud compute network-endpoint-groups describe auctions-neg --region "$REGION" >/dev/null 2>&1 ||
  gcloud compute network-endpoint-groups create auctions-neg --region "$REGION" \
    --network-endpoint-type serverless --cloud-run-service auctions-api
gcloud compute backend-services describe auctions-api-backend --global >/dev/null 2>&1 || {
  gcloud compute backend-services create auctions-api-backend --global \
    --load-balancing-scheme EXTERNAL_MANAGED --protocol HTTPS
  gcloud compute backend-services add-backend auctions-api-backend --global \
    --network-endpoint-group auctions-neg --network-endpoint-group-region "$REGION"
}
gcloud compute backend-buckets describe auctions-web --global >/dev/null 2>&1 ||
  gcloud compute backend-buckets create auctions-web --gcs-bucket-name "$BUCKET" --enable-cdn
gcloud compute url-maps describe auctions-lb --global >/dev/null 2>&1 || {
  gcloud compute url-maps create auctions-lb --global --default-backend-bucket auctions-web
  gcloud compute url-maps add-path-matcher auctions-lb --global --path-matcher-name api \
    --default-backend-bucket auctions-web --new-hosts "$DOMAIN" \
    --backend-service-path-rules "/api/*=auctions-api-backend,/ws/*=auctions-api-backend,/healthz=auctions-api-backend"
}
gcloud compute ssl-certificates describe auctions-cert --global >/dev/null 2>&1 ||
  gcloud compute ssl-certificates create auctions-cert --global --domains "$DOMAIN"
gcloud compute target-https-proxies describe auctions-proxy --global >/dev/null 2>&1 ||
  gcloud compute target-https-proxies create auctions-proxy --global --url-map auctions-lb \
    --ssl-certificates auctions-cert
gcloud compute addresses describe auctions-ip --global >/dev/null 2>&1 ||
  gcloud compute addresses create auctions-ip --global
gcloud compute forwarding-rules describe auctions-https --global >/dev/null 2>&1 ||
  gcloud compute forwarding-rules create auctions-https --global --load-balancing-scheme EXTERNAL_MANAGED \
    --address auctions-ip --target-https-proxy auctions-proxy --ports 443
IP=$(gcloud compute addresses describe auctions-ip --global --format 'value(address)')
echo "Point an A record for $DOMAIN at $IP; the certificate is issued once it resolves."
echo "Then open https://$DOMAIN/ (health: https://$DOMAIN/healthz)."

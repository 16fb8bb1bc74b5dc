#!/usr/bin/env bash
# Stage minimal, self-contained source trees for the cloud, one per deployable:
#   <out>/api       the Bookstore API   (Cloud Run: Dockerfile; App Engine: app.yaml)
#   <out>/enricher  the enricher        (Cloud Run: Dockerfile)
#   <out>/function  the generator       (Cloud Functions 2nd gen: main.py)
# IMPL=starter stages your own code instead of the reference solution (the tests stage that way).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ex=$(dirname "$here")
out=${1:-$here/build}
impl=${IMPL:-solution}
rm -rf "$out" && mkdir -p "$out"

package() {  # $1 = target dir, rest = modules of the impl to ship
  local dir=$1; shift
  mkdir -p "$dir/exercises/ex06_pubsub_enrichment/solution"
  touch "$dir/exercises/__init__.py" "$dir/exercises/ex06_pubsub_enrichment/__init__.py" \
        "$dir/exercises/ex06_pubsub_enrichment/solution/__init__.py"
  for provided in catalog runtime bookstore events; do  # the provided modules, at the exercise level
    cp "$ex/$provided.py" "$dir/exercises/ex06_pubsub_enrichment/$provided.py"
  done
  for module in "$@"; do cp "$ex/$impl/$module.py" "$dir/exercises/ex06_pubsub_enrichment/solution/$module.py"; done
}

package "$out/api" bookstore_api
cp "$here/api/Dockerfile" "$here/api/app.yaml" "$here/api/requirements.txt" "$out/api/"
package "$out/enricher" enricher
cp "$here/enricher/Dockerfile" "$here/enricher/requirements.txt" "$out/enricher/"
package "$out/function" generator
cp "$here/function/main.py" "$here/function/requirements.txt" "$out/function/"
echo "staged $impl into $out"

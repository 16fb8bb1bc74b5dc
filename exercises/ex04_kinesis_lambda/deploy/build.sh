#!/usr/bin/env bash
# Build the Lambda deployment package of both functions (the enricher and the scheduled generator)
# into deploy/build/ (what template.yaml's CodeUri names) and build.zip beside it: the exercise's
# provided modules, the product catalogue, one implementation (IMPL=solution, or starter for the
# learner's code), and Linux wheels of the dependencies for the function's architecture (ARCH,
# x86_64 by default, as in the template). Nothing else of the project goes in, so a module missing
# from the package fails under the local emulator exactly as it would in the cloud.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
arch=${ARCH:-x86_64}
out=${OUT:-"$here/build"}
impl=${IMPL:-solution}
case "$impl" in solution|starter) ;; *) echo "error: IMPL must be solution or starter, not '$impl'" >&2; exit 2;; esac
rm -rf "$out" && mkdir -p "$out"
# Versions as locked in uv.lock, so the package runs what the tests ran.
pins=$(cd "$repo" && uv export --quiet --frozen --no-hashes --no-header --no-emit-project 2>/dev/null \
       | grep -E '^(aws-lambda-powertools|boto3|botocore|jmespath|s3transfer|typing-extensions|urllib3|python-dateutil|six)==' \
       | sed 's/ *;.*//' || true)
[ -n "$pins" ] || pins="aws-lambda-powertools boto3"
install() {  # from uv's cache when it holds them (no network), else from PyPI
  # shellcheck disable=SC2086
  uv pip install --quiet "$@" --target "$out" --python-version 3.11 \
    --python-platform "${arch}-manylinux_2_28" --only-binary=:all: $pins
}
install --offline 2>/dev/null || install
ex=exercises/ex04_kinesis_lambda
for path in exercises/__init__.py $ex/__init__.py $ex/config.py $ex/catalog.py $ex/runtime.py $ex/products.csv \
            $ex/generator.py "$ex/$impl"; do
  mkdir -p "$out/$(dirname "$path")"
  cp -r "$repo/$path" "$out/$path"
done
find "$out" -name __pycache__ -prune -exec rm -rf {} +
rm -f "$out.zip"
[ "${ZIP:-1}" = 0 ] && { echo "built $out (no zip: ZIP=0)"; exit 0; }
python3 - "$out" "$out.zip" <<'PY'
import os, sys, zipfile
root, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            path = os.path.join(folder, name)
            archive.write(path, os.path.relpath(path, root))
PY
echo "built $out and $out.zip ($(du -sh "$out.zip" | cut -f1)); next: sam deploy --guided --template-file $here/template.yaml"

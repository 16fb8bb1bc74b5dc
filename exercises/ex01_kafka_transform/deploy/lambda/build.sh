#!/usr/bin/env bash
# Build the Lambda deployment package into deploy/lambda/build/ (what the templates' CodeUri names), and
# the same as a zip beside it (build.zip, what `aws lambda update-function-code --zip-file` takes): the
# transform and handler, the platform's Kafka configuration code, and Linux wheels of the dependencies
# for the function's architecture (arm64 by default; ARCH=x86_64 to change). IMPL=starter packages the
# learner's code instead of the reference solution (the tests grade either).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
arch=${ARCH:-aarch64}
out=${OUT:-"$here/build"}
impl=${IMPL:-solution}
case "$impl" in solution|starter) ;; *) echo "error: IMPL must be solution or starter, not '$impl'" >&2; exit 2;; esac
rm -rf "$out" && mkdir -p "$out"
uv pip install --quiet --target "$out" --python-version 3.11 --python-platform "${arch}-manylinux_2_28" \
  --only-binary=:all: confluent-kafka aws-lambda-powertools pydantic-settings
for path in bootcamp/__init__.py bootcamp/errors.py bootcamp/settings.py bootcamp/paths.py \
            bootcamp/kafka exercises/__init__.py exercises/ex01_kafka_transform/__init__.py \
            exercises/ex01_kafka_transform/config.py exercises/ex01_kafka_transform/lambda_runtime.py exercises/ex01_kafka_transform/contract.py \
            "exercises/ex01_kafka_transform/$impl"; do
  mkdir -p "$out/$(dirname "$path")"
  cp -r "$repo/$path" "$out/$path"
done
find "$out" -name __pycache__ -prune -exec rm -rf {} +
rm -f "$out.zip"
python3 - "$out" "$out.zip" <<'PY'
import os, sys, zipfile
root, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(folder, name)
            archive.write(path, os.path.relpath(path, root))
PY
echo "built $out and $out.zip ($(du -sh "$out.zip" | cut -f1)); next: sam deploy --guided --template-file $here/template-msk.yaml"

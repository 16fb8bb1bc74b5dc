#!/usr/bin/env bash
# Build the Lambda deployment package into deploy/lambda/build/ (what the templates' CodeUri names):
# the transform and handler, the platform's Kafka configuration code, and Linux wheels of the
# dependencies for the function's architecture (arm64 by default; ARCH=x86_64 to change).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
arch=${ARCH:-aarch64}
out=${OUT:-"$here/build"}
rm -rf "$out" && mkdir -p "$out"
uv pip install --quiet --target "$out" --python-version 3.11 --python-platform "${arch}-manylinux_2_28" \
  --only-binary=:all: confluent-kafka aws-lambda-powertools pydantic-settings
for path in bootcamp/__init__.py bootcamp/errors.py bootcamp/settings.py bootcamp/paths.py \
            bootcamp/kafka exercises/__init__.py exercises/ex01_kafka_transform/__init__.py \
            exercises/ex01_kafka_transform/config.py exercises/ex01_kafka_transform/lambda_runtime.py exercises/ex01_kafka_transform/contract.py \
            exercises/ex01_kafka_transform/solution; do
  mkdir -p "$out/$(dirname "$path")"
  cp -r "$repo/$path" "$out/$path"
done
find "$out" -name __pycache__ -prune -exec rm -rf {} +
echo "built $out ($(du -sh "$out" | cut -f1)); next: sam deploy --guided --template-file $here/template-msk.yaml"

#!/usr/bin/env bash
# Copy the generator next to the function's entry point, so `gcloud functions deploy --source .` ships it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/../../solution/generator.py" "$here/generator.py"
echo "copied generator.py into $here"

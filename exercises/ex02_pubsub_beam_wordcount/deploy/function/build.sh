#!/usr/bin/env bash
# Copy the generator next to the function's entry point, so `gcloud functions deploy --source .` ships
# it: the provided sentences.py (corpus, publishing) and the solution's generator.py (make_message).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/../../sentences.py" "$here/sentences.py"
cp "$here/../../solution/generator.py" "$here/generator.py"
echo "copied sentences.py and generator.py into $here"

#!/usr/bin/env bash
# Set up this machine for the bootcamp, idempotently: uv, any Debian packages the platform or an exercise
# lists in an `apt-packages.txt`, npm packages, the Python environment, then the JVM artifacts (Maven
# Central) and Go binaries (the Go module proxy) pinned in bootcamp/parts/parts.toml. A second run checks
# and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# 1. uv
if ! command -v uv >/dev/null 2>&1; then
  say "installing uv (python3 -m pip install uv)"
  python3 -m pip install --quiet --disable-pip-version-check uv
  hash -r
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
UV=$(command -v uv || echo "python3 -m uv")

# 2. Debian packages the exercises declare (one name a line in any apt-packages.txt)
mapfile -t wanted < <(find bootcamp exercises -name apt-packages.txt -not -path '*/.venv/*' -print0 2>/dev/null \
  | xargs -0 -r cat | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 3. npm packages the exercises declare (a package.json with a lock file beside it)
while IFS= read -r -d '' lock; do
  dir=$(dirname "$lock")
  if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules" ]; then
    say "installing npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --silent && touch node_modules)
  fi
done < <(find bootcamp exercises -name package-lock.json -not -path '*/node_modules/*' -print0 2>/dev/null)

# 4. the Python environment, exactly as locked
$UV sync --locked --quiet
# Byte-compile the environment once per lock: with PYTHONDONTWRITEBYTECODE set (as on these machines)
# Python never writes .pyc files itself, and every process would recompile Beam, pandas and the rest
# on import (tens of seconds of CPU for each test that starts an interpreter).
lock_sum=$(sha256sum uv.lock | cut -c1-16)
if [ "$(cat .venv/.bytecode-stamp 2>/dev/null)" != "$lock_sum" ]; then
  say "byte-compiling the Python environment (once per uv.lock)"
  $UV sync --locked --quiet --compile-bytecode
  echo "$lock_sum" > .venv/.bytecode-stamp
fi

# 4b. Exercise 9's own environment: PyFlink pins Beam, pandas and pyarrow below the project's, so it
# lives apart, exactly as its own lock file says (exercises/ex09_flink_sentiment/flink-env/uv.lock).
flink_env=exercises/ex09_flink_sentiment/flink-env
if [ -f "$flink_env/uv.lock" ]; then
  flink_sum=$(cat "$flink_env/uv.lock" "$flink_env/pyproject.toml" | sha256sum | cut -c1-16)
  if [ "$(cat .parts/flink-venv/.lock-stamp 2>/dev/null)" != "$flink_sum" ]; then
    say "installing the Flink environment (.parts/flink-venv, from $flink_env/uv.lock)"
    mkdir -p .parts
    UV_PROJECT_ENVIRONMENT="$PWD/.parts/flink-venv" $UV sync --frozen --quiet --compile-bytecode --project "$flink_env"
    echo "$flink_sum" > .parts/flink-venv/.lock-stamp
  fi
fi

# 5. JVM artifacts and Go binaries (pinned in bootcamp/parts/parts.toml; cached in ~/.m2 and Go's module cache)
.venv/bin/python -m bootcamp.parts install
say "ready ($(.venv/bin/python --version), $($UV --version))"

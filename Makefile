# The two commands a fresh machine needs: `make run` (every built exercise end to end, quick mode, one
# results table) and `make test` (lint, types, and every exercise's tests against its solution).
# Both set the machine up first, idempotently.

EX ?= ex01
UV_RUN := .venv/bin/

.PHONY: setup run test lint check bench up down status doctor clean

setup:
	@bash scripts/setup.sh

run: setup
	$(UV_RUN)bootcamp run all --quick

# Three workers on two cores: many tests wait on a broker, a JVM or a child process (two workers left
# the cores idle 45 % of the time), so the other workers fill those waits. Each file stays on one
# worker, so its module fixtures start once, except the per-exercise platform tests that
# bootcamp/testing/scheduling.py spreads one by one (loadgroup would be finer, but pytest-xdist 3.8's
# groups are lost on pytest 9's node ids).
# `--durations=25` lists the slowest tests at the end, to keep the 25-minute budget in view.
TEST_WORKERS ?= 3

test: setup lint
	$(UV_RUN)pytest -n $(TEST_WORKERS) --dist loadfile --durations=25

lint: setup
	$(UV_RUN)ruff check bootcamp exercises
	$(UV_RUN)mypy bootcamp exercises

check: setup
	$(UV_RUN)bootcamp check $(EX)

bench: setup
	$(UV_RUN)bootcamp bench $(EX)

up: setup
	$(UV_RUN)bootcamp up

down:
	$(UV_RUN)bootcamp down

status:
	$(UV_RUN)bootcamp status

doctor:
	$(UV_RUN)bootcamp doctor

clean: down
	rm -rf .bootcamp

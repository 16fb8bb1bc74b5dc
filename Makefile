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

# mypy (45 s of one core from a cold cache) runs beside the tests, in the pauses the workers leave:
# its report comes at the end, and either failing fails `make test`. `make lint` runs it alone.
test: setup
	$(UV_RUN)ruff check bootcamp exercises
	@mkdir -p .bootcamp && echo "$(UV_RUN)mypy bootcamp exercises (beside the tests; its report follows them)"
	@$(UV_RUN)mypy bootcamp exercises > .bootcamp/mypy.log 2>&1 & types=$$!; \
	$(UV_RUN)pytest -n $(TEST_WORKERS) --dist loadfile --durations=25; tests=$$?; \
	wait $$types; typed=$$?; echo "mypy bootcamp exercises:"; cat .bootcamp/mypy.log; \
	exit $$(( tests != 0 ? tests : typed ))

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

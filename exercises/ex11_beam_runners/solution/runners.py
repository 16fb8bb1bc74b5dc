"""The pipeline options that select each local runner: the only thing that changes between runners.

`run.py` (provided) builds the same pipeline and runs it with these options; `deploy/options/*.txt`
hold the cluster runners' options in the same form.
"""

from __future__ import annotations

from exercises.ex11_beam_runners.config import DASK_RUNNER, RUNNERS
from exercises.ex11_beam_runners.portable import prism_location


def runner_options(runner: str, workers: int = 2, dask_address: str | None = None) -> list[str]:
    """The pipeline options that select `runner` (one of `RUNNERS`).

    Every runner is named explicitly: since Beam 2.68 a bare `--runner=DirectRunner` tries Prism first
    (downloading it) and only falls back to the FnApiRunner when that fails, whatever the
    `direct_running_mode`. `FnApiRunner` is the runner that mode and worker count configure. Prism is
    named with the project's own binary, so that it is never downloaded either.
    """
    if runner == "direct-in-memory":
        return ["--runner=FnApiRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]
    if runner == "direct-multi-threading":
        return ["--runner=FnApiRunner", "--direct_running_mode=multi_threading",
                f"--direct_num_workers={workers}"]
    if runner == "direct-multi-processing":
        return ["--runner=FnApiRunner", "--direct_running_mode=multi_processing",
                f"--direct_num_workers={workers}"]
    if runner == "bundle-based-direct":
        return ["--runner=BundleBasedDirectRunner"]
    if runner == "dask":
        if not dask_address:
            raise ValueError("the DaskRunner needs a scheduler address (--dask_client_address)")
        return [f"--runner={DASK_RUNNER}", f"--dask_client_address={dask_address}"]
    if runner == "prism":
        return ["--runner=PrismRunner", f"--prism_location={prism_location()}", "--environment_type=LOOPBACK"]
    raise ValueError(f"unknown runner {runner!r}; known: {', '.join(RUNNERS)}")

"""The pipeline options that select each local runner: the only thing that changes between runners.

YOUR TASK: `runner_options`. `run.py` (provided) builds the same pipeline and runs it with these
options; `deploy/options/*.txt` hold the cluster runners' options in the same form.
"""

from __future__ import annotations

from exercises.ex11_beam_runners.config import DASK_RUNNER, RUNNERS  # noqa: F401 - you need these
from exercises.ex11_beam_runners.portable import prism_location  # noqa: F401 - and this


def runner_options(runner: str, workers: int = 2, dask_address: str | None = None) -> list[str]:
    """The pipeline options that select `runner` (one of `RUNNERS`).

    Name every runner explicitly: since Beam 2.68 a bare `--runner=DirectRunner` tries Prism first
    (downloading it) and only falls back to the FnApiRunner when that fails.
    """
    raise NotImplementedError(
        "runner_options: return the PipelineOptions arguments for each of RUNNERS: FnApiRunner with "
        "--direct_running_mode (in_memory with 1 worker, multi_threading, multi_processing with "
        "--direct_num_workers), BundleBasedDirectRunner, DASK_RUNNER with --dask_client_address "
        "(ValueError without an address, or for an unknown runner), and PrismRunner with --prism_location "
        "at prism_location() and LOOPBACK")

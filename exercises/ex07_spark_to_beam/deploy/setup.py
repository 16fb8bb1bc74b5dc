"""The pipeline's modules as a package, for Dataflow's workers (`--setup_file`).

DoFns such as `records.ParseLine` are pickled by reference to their module, so every worker must be
able to import `exercises.ex07_spark_to_beam.*`. `dataflow.sh` stages the modules below into a
directory with this file at its root and launches from there; Beam builds an sdist from it and each
worker installs that.
"""

from setuptools import setup  # type: ignore[import-untyped]  # used by the launcher, not here

setup(
    name="ex07-access-log-stats",
    version="1.0.0",
    packages=["exercises", "exercises.ex07_spark_to_beam", "exercises.ex07_spark_to_beam.solution"],
    python_requires=">=3.11",
)

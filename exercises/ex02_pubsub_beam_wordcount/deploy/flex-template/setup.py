"""The pipeline's modules as a package, for Dataflow's workers (FLEX_TEMPLATE_PYTHON_SETUP_FILE).

DoFns such as `streaming.DecodeUtf8` are pickled by reference to their module, so every worker must
be able to import `exercises.ex02_pubsub_beam_wordcount.*`: the launcher builds an sdist from this
file (Beam's `--setup_file`) and each worker installs it. It lives at /template in the image, beside
the `exercises/` tree the Dockerfile copies; the runtime dependencies come from requirements.txt.
"""

from setuptools import setup  # type: ignore[import-untyped]  # on the launcher image, not here

setup(
    name="ex02-wordcount",
    version="1.0.0",
    packages=[
        "exercises",
        "exercises.ex02_pubsub_beam_wordcount",
        "exercises.ex02_pubsub_beam_wordcount.solution",
    ],
    python_requires=">=3.11",
)

"""The Flex Template's entry point: the solution's graph, run by the provided runtime.

The launcher runs this file (FLEX_TEMPLATE_PYTHON_PY_FILE) with the template's parameters as flags;
`streaming.run` builds the graph, submits it to Dataflow and returns without waiting (a Flex
Template launcher must exit once the job is submitted). The modules it imports are in the image
(copied by the Dockerfile) and reach the workers as the package that setup.py describes.
"""

from exercises.ex02_pubsub_beam_wordcount.solution.pipeline import build
from exercises.ex02_pubsub_beam_wordcount.streaming import main

if __name__ == "__main__":
    main(build)

"""The Dataflow Flex Template: its parameters are the pipeline's own, and build a valid graph."""

from __future__ import annotations

import json
import re
from pathlib import Path

import apache_beam as beam

from bootcamp.testing.plugin import Implementation
from exercises.ex13_beam_schemas import run as ex13

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_template_parameters_build_the_pipeline(impl: Implementation, reviews_csv: Path) -> None:
    metadata = json.loads((DEPLOY / "metadata.json").read_text())
    values = {"input": "gs://b/ex13/reviews-*.csv", "input_format": "csv", "output": "gs://b/ex13/out",
              "min_helpful_votes": "2"}
    assert [p["name"] for p in metadata["parameters"]] == list(values)
    for param in metadata["parameters"]:
        for regex in param.get("regexes", []):
            assert re.fullmatch(regex, values[param["name"]]), (param["name"], regex)
    settings, beam_args = ex13.parse_args([f"--{k}={v}" for k, v in values.items()]
                                                   + ["--runner=DataflowRunner"])
    assert (settings.input, settings.min_helpful_votes, settings.input_format) == (values["input"], 2, "csv")
    assert beam_args == ["--runner=DataflowRunner"]
    pipeline = beam.Pipeline()
    ex13.build(pipeline, settings.model_copy(update={"input": str(reviews_csv)}), write=False,
               impl=impl.package.rsplit(".", 1)[1])
    labels = {t.full_label for t in pipeline.transforms_stack[0].parts}
    assert any("GroupByProduct" in label for label in labels), labels
    entry = re.search(r"FLEX_TEMPLATE_PYTHON_PY_FILE=/template/(\S+)", (DEPLOY / "Dockerfile").read_text())
    assert entry is not None
    assert (DEPLOY.parent.parent.parent / entry.group(1)).is_file()

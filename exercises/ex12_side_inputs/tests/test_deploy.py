"""The Dataflow Flex Template: its parameters are exactly the pipeline's own, and build a valid graph."""

from __future__ import annotations

import json
import re
from pathlib import Path

import apache_beam as beam

from bootcamp.testing.plugin import Implementation
from exercises.ex12_side_inputs import run as ex12

from .conftest import Files

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_template_parameters_build_the_pipeline(impl: Implementation, small_files: Files,
                                                tmp_path: Path) -> None:
    metadata = json.loads((DEPLOY / "metadata.json").read_text())
    names = [p["name"] for p in metadata["parameters"]]
    assert names == ["profiles", "purchases", "promotions", "output", "method"]
    values = {"profiles": "gs://b/ex12/profiles.csv", "purchases": "gs://b/ex12/purchases-*.csv",
              "promotions": "gs://b/ex12/promotions.csv", "output": "gs://b/ex12/out",
              "method": "cogroupbykey"}
    for param in metadata["parameters"]:
        for regex in param.get("regexes", []):
            assert re.fullmatch(regex, values[param["name"]]), (param["name"], regex)
    settings, beam_args = ex12.parse_args([f"--{k}={v}" for k, v in values.items()]
                                                   + ["--runner=DataflowRunner", "--region=europe-west1"])
    assert settings.method == "cogroupbykey"
    assert settings.purchases == values["purchases"]
    assert beam_args == ["--runner=DataflowRunner", "--region=europe-west1"]
    # the same settings, pointed at local files, build and run the graph the template would launch
    local = settings.model_copy(update={"profiles": str(small_files.profiles),
                                        "purchases": str(small_files.purchases),
                                        "promotions": str(small_files.promotions)})
    pipeline = beam.Pipeline()
    ex12.build(pipeline, local, write=False, impl=impl.package.rsplit(".", 1)[1])
    labels = {t.full_label for t in pipeline.transforms_stack[0].parts}
    assert any("CoGroupByUser" in label for label in labels), labels
    # the image starts the template through an entry point that exists
    entry = re.search(r"FLEX_TEMPLATE_PYTHON_PY_FILE=/template/(\S+)", (DEPLOY / "Dockerfile").read_text())
    assert entry is not None
    assert (DEPLOY.parent.parent.parent / entry.group(1)).is_file()


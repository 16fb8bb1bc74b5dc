"""The cloud artifacts, checked offline: the ARM template against a JSON Schema of what this exercise
needs (and ARM's own envelope), and the Function's bindings as Microsoft's `azure-functions` library
builds them (the same function.json the Functions host reads)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # its stubs (types-jsonschema) are not installed

DEPLOY = Path(__file__).resolve().parents[1]

ENVELOPE = {  # the parts of ARM's deploymentTemplate.json schema every template must meet
    "type": "object",
    "required": ["$schema", "contentVersion", "resources"],
    "properties": {
        "$schema": {"const": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"},
        "contentVersion": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$"},
        "parameters": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["type"],
            "properties": {"type": {"enum": ["string", "securestring", "int", "bool", "object",
                                             "secureObject", "array"]}}}},
        "resources": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["type", "apiVersion", "name"],
            "properties": {"type": {"type": "string", "pattern": r"^[A-Za-z.]+/[A-Za-z/]+$"},
                           "apiVersion": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(-preview)?$"},
                           "dependsOn": {"type": "array", "items": {"type": "string"}}}}},
        "outputs": {"type": "object"},
    },
}


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "azuredeploy.json").read_text())
    return loaded


def resources(kind: str) -> list[dict[str, Any]]:
    return [r for r in template()["resources"] if r["type"] == kind]


def settings(site: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}


def test_the_template_meets_arms_envelope() -> None:
    jsonschema.validate(template(), ENVELOPE)


def test_the_namespace_has_its_kafka_endpoint_and_the_hubs_the_code_names() -> None:
    (namespace,) = resources("Microsoft.EventHub/namespaces")
    assert namespace["sku"]["name"] in {"Standard", "Premium"}, "the Kafka endpoint needs Standard or above"
    assert namespace["properties"]["kafkaEnabled"] is True
    hubs = resources("Microsoft.EventHub/namespaces/eventhubs")
    assert len(hubs) == 2
    # A Kafka group id is not an Event Hubs consumer group resource: nothing to declare for it.
    assert resources("Microsoft.EventHub/namespaces/eventhubs/consumergroups") == []


def test_the_web_app_has_websockets_on_and_reads_the_hub_over_sasl_ssl() -> None:
    web = next(s for s in resources("Microsoft.Web/sites") if s["kind"] == "app,linux")
    config = web["properties"]["siteConfig"]
    assert config["webSocketsEnabled"] is True
    assert config["alwaysOn"] is True, "a consumer must not be idled out"
    assert web["properties"]["clientAffinityEnabled"] is False
    app = settings(web)
    assert app["EVENTHUBS_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert app["EX05_CREATE_TOPICS"] == "false"
    assert "primaryConnectionString" in app["EVENTHUBS_CONNECTION_STRING"]
    from exercises.ex05_eventhubs_websockets.config import EventHubsSettings, Ex05Settings

    known = set(EventHubsSettings.model_fields) | set(Ex05Settings.model_fields)
    unknown = [k for k in app if k.startswith(("EX05_", "EVENTHUBS_"))
               and k.split("_", 1)[1].lower() not in known]
    assert unknown == [], "app settings the code does not read"


def test_the_function_is_a_timer_with_an_event_hubs_output_binding() -> None:
    path = DEPLOY / "functions" / "function_app.py"
    spec = importlib.util.spec_from_file_location("ex05_function_app", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    (function,) = module.app.get_functions()
    bindings = {b["type"]: b for b in json.loads(function.get_function_json())["bindings"]}
    assert bindings["timerTrigger"]["direction"] == "IN"
    assert bindings["eventHub"]["direction"] == "OUT"
    assert bindings["eventHub"]["connection"] == "EVENTHUBS_CONNECTION"
    assert bindings["eventHub"]["eventHubName"] == "%EVENTHUB_NAME%"
    site = next(s for s in resources("Microsoft.Web/sites") if s["kind"].startswith("functionapp"))
    assert {"EVENTHUBS_CONNECTION", "EVENTHUB_NAME", "FUNCTIONS_WORKER_RUNTIME"} <= set(settings(site))
    sample = [json.loads(e) for e in module.batch(8, 1_764_633_610_000, 10_000)]
    from exercises.ex05_eventhubs_websockets.events import parse

    assert [parse(json.dumps(e).encode()).source for e in sample][:4] == list(module.SOURCES)

"""Registration: tags, aliases, and `champion` moving only for a better perplexity."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bootcamp.ml.registry import client
from exercises.ex15_multilingual_ml import ci, register
from exercises.ex15_multilingual_ml.neural import LanguageModel
from exercises.ex15_multilingual_ml.tests.conftest import Trained


def test_each_model_is_registered_with_language_entity_type_and_entity(trained: Trained) -> None:
    c = client(trained.uri)
    assert len(trained.promotion) == 9
    nl = c.get_registered_model(f"{trained.settings.prefix}-nl")
    assert nl.tags == {"language": "nl", "entity_type": "language", "entity": "nl"}
    scalc = c.get_registered_model(f"{trained.settings.prefix}-nl-scalc")
    assert scalc.tags == {"language": "nl", "entity_type": "help_module", "entity": "scalc"}
    champion = c.get_model_version_by_alias(scalc.name, "champion")
    assert float(champion.tags["perplexity"]) == trained.row("nl", "scalc")["fine_tuned"]
    assert champion.tags["eval_key"] == trained.row("nl", "scalc")["eval_key"]
    assert all(r["promoted"] and r["reason"] == "no champion yet" for r in trained.promotion)


def _again(trained: Trained, impl_name: str, language: str, entity: str | None, perplexity: float,
           eval_key: str | None = None) -> dict[str, Any]:
    data = trained.row(language, entity)
    row = ci._row(data)
    if entity:
        row = replace(row, fine_tuned=perplexity, eval_key=eval_key or row.eval_key)
    else:
        row = replace(row, base=perplexity, eval_key=eval_key or row.eval_key)
    name = f"{language}-{entity}" if entity else language
    model = LanguageModel.load((trained.out / "models" / f"{name}.npz").read_bytes())
    import mlflow

    mlflow.set_tracking_uri(trained.uri)
    mlflow.set_experiment(trained.settings.prefix)
    return register.register_model(client(trained.uri), model, row, trained.settings, impl_name)


def test_champion_moves_only_when_perplexity_improves(trained: Trained, impl_name: str) -> None:
    c = client(trained.uri)
    name = f"{trained.settings.prefix}-es-smath"
    first = c.get_model_version_by_alias(name, "champion").version
    current = trained.row("es", "smath")["fine_tuned"]
    same = _again(trained, impl_name, "es", "smath", current)
    assert not same["promoted"], "promoted without comparing: an equal perplexity took the champion alias"
    assert c.get_model_version_by_alias(name, "champion").version == first
    assert c.get_model_version_by_alias(name, "challenger").version == same["version"]
    assert same["champion_before"] == current
    worse = _again(trained, impl_name, "es", "smath", current * 1.2)
    assert not worse["promoted"]
    better = _again(trained, impl_name, "es", "smath", current * 0.9)
    assert better["promoted"], better
    assert c.get_model_version_by_alias(name, "champion").version == better["version"]
    other = _again(trained, impl_name, "es", "smath", current * 0.5, eval_key="v0-t0")
    assert not other["promoted"]
    assert "comparable" in other["reason"]
    reason = c.get_model_version(name, other["version"]).tags["promotion"]
    assert "comparable" in reason, "the decision is kept on the version"


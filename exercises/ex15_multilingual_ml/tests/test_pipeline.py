"""The Beam job on the sample: shards per split, language and entity; dead letters with reasons."""

from __future__ import annotations

import json

from exercises.ex15_multilingual_ml.pipeline import SPLITS, Shards, split_of
from exercises.ex15_multilingual_ml.tests.conftest import BAD_LINES, ENTITIES, sample_lines


def test_every_split_language_and_entity_has_a_shard(shards: Shards) -> None:
    for split in SPLITS:
        for language in ("nl", "es", "en"):
            for entity in ENTITIES:
                assert shards.docs.get((split, language, entity)), f"no shard {split}-{language}-{entity}"
    assert shards.languages() == ["nl", "es", "en"]
    files = sorted(p.name for p in (shards.root / "shards").iterdir())
    assert "train-nl-scalc-00000-of-00001.jsonl" in files


def test_bad_records_go_to_the_dead_letters_with_reasons_and_are_counted(shards: Shards) -> None:
    by_line = {d["line"]: d["reason"] for d in shards.dead_letters}
    assert by_line[BAD_LINES["not json"]].startswith("not JSON")
    assert "unknown language 'fr'" in by_line[BAD_LINES["unknown language"]]
    assert "entity" in by_line[BAD_LINES["missing field"]]
    assert by_line[BAD_LINES["mislabelled"]].startswith("language mismatch: labelled en, detected es")
    assert by_line[BAD_LINES["empty"]].startswith("empty")
    assert shards.counters["dead_letters"] == len(shards.dead_letters)
    real = len(sample_lines())
    assert shards.counters["documents"] + len(shards.dead_letters) == real + len(BAD_LINES)


def test_untranslated_pages_of_the_real_corpus_are_dead_letters(shards: Shards) -> None:
    """Some Spanish help pages are mostly English in the Debian package: they must not train Spanish."""
    mismatched = [json.loads(d["line"]) for d in shards.dead_letters
                  if d["reason"].startswith("language mismatch: labelled es, detected en")]
    assert mismatched, "the real corpus has Spanish pages left in English"
    assert all(doc["language"] == "es" for doc in mismatched)


def test_the_same_page_is_in_the_same_split_in_every_language(shards: Shards) -> None:
    ids: dict[tuple[str, str], set[str]] = {}
    for line in sample_lines():
        doc = json.loads(line)
        ids.setdefault((doc["doc_id"], split_of(doc["doc_id"])), set()).add(doc["language"])
    splits_per_doc: dict[str, set[str]] = {}
    for doc_id, split in ids:
        splits_per_doc.setdefault(doc_id, set()).add(split)
    assert all(len(s) == 1 for s in splits_per_doc.values())
    assert {split_of(d) for d in splits_per_doc} == set(SPLITS)


def test_shard_sentences_are_tokenised_and_closed(shards: Shards) -> None:
    sentences = shards.sentences("train", "nl", "scalc")
    assert sentences
    assert all(s[-1] == "</s>" for s in sentences)
    assert all(t == t.lower() for s in sentences[:50] for t in s)

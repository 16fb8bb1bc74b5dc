"""Provided: the Beam job of Exercise 15, from documents with entity metadata to shards per split,
language and entity.

    corpus.jsonl ─ Parse ─ Detect language ─ Tokenise ─ Assign split ─ WriteToFiles(split-lang-entity)
                    │            │               │
                    └────────────┴───────────────┴──── dead letters (reason + original line) ─ JSON

- Parse: a JSON object with `doc_id`, `language` (one of nl, es, en), `entity` and `text`; anything
  else is a dead letter naming what is wrong.
- Detect: the stop-word detector of `text.py` must agree with the label; a page labelled `es` whose
  text is mostly untranslated English, or too short to tell, is a dead letter with the shares.
- Tokenise: sentences of tokens, each closed by `</s>`; a document with no token is a dead letter.
- Split: by a stable hash of the document id, so the same help page lands in the same split in all
  three languages (the parallel translation of a test page is never in another language's training
  data) and a re-run splits the same way.
- Write: one shard per (split, language, entity) with Beam's dynamic destinations (`fileio.WriteToFiles`),
  one JSON line per document: `{"doc_id", "sentences"}`.

Runner: the FnApiRunner, named (`--runner=FnApiRunner`): a bare DirectRunner in Beam 2.77 tries to
download Prism first.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.options.pipeline_options import PipelineOptions

from exercises.ex15_multilingual_ml.corpus import LANGUAGES, DeadLetter, Document
from exercises.ex15_multilingual_ml.text import detect_language, sentences

RUNNER = ["--runner=FnApiRunner"]
SPLITS = ("train", "validation", "test")
REQUIRED = ("doc_id", "language", "entity", "text")


def split_of(doc_id: str, validation: float = 0.1, test: float = 0.1) -> str:
    """`train`, `validation` or `test`, by a stable hash (crc32) of the document id."""
    bucket = zlib.crc32(doc_id.encode("utf-8")) % 1000 / 1000
    return "test" if bucket < test else "validation" if bucket < test + validation else "train"


@dataclass(frozen=True)
class Tokenised:
    doc_id: str
    language: str
    entity: str
    split: str
    sentences: list[list[str]]

    @property
    def destination(self) -> str:
        return f"{self.split}-{self.language}-{self.entity}"

    def to_json(self) -> str:
        return json.dumps({"doc_id": self.doc_id, "sentences": self.sentences}, ensure_ascii=False)


def parse(line: str) -> Document | DeadLetter:
    """A corpus line into a Document, or a dead letter saying what is wrong with it."""
    if not line.strip():
        return DeadLetter("blank line", line)
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return DeadLetter(f"not JSON: {exc.msg} at column {exc.colno}", line)
    if not isinstance(record, dict):
        return DeadLetter(f"not a JSON object but {type(record).__name__}", line)
    missing = [k for k in REQUIRED if not isinstance(record.get(k), str) or not record.get(k)]
    if missing:
        return DeadLetter(f"missing or not a string: {', '.join(missing)}", line)
    if record["language"] not in LANGUAGES:
        return DeadLetter(f"unknown language {record['language']!r} (expected one of {', '.join(LANGUAGES)})",
                          line)
    return Document(record["doc_id"], record["language"], record["entity"], str(record.get("title", "")),
                    record["text"])


def check_and_tokenise(doc: Document, line: str) -> Tokenised | DeadLetter:
    """The language label checked against the detector, then the text as sentences of tokens."""
    tokens = sentences(doc.text)
    if not tokens:
        return DeadLetter("empty: no token in the text", line)
    detected = detect_language(doc.text)
    if detected.language != doc.language:
        shares = ", ".join(f"{k} {v:.2f}" for k, v in sorted(detected.shares.items()))
        what = "undetermined" if detected.language == "und" else f"detected {detected.language}"
        return DeadLetter(f"language mismatch: labelled {doc.language}, {what} "
                          f"({detected.words} words; stop-word shares {shares})", line)
    return Tokenised(doc.doc_id, doc.language, doc.entity, split_of(doc.doc_id), tokens)


class _Prepare(beam.DoFn):  # type: ignore[misc]
    """Parse, check and tokenise one line: Tokenised on the main output, dead letters on `dead`."""

    def __init__(self) -> None:
        self._docs = beam.metrics.Metrics.counter("ex15", "documents")
        self._dead = beam.metrics.Metrics.counter("ex15", "dead_letters")

    def process(self, line: str) -> Iterator[Any]:
        parsed = parse(line)
        result = parsed if isinstance(parsed, DeadLetter) else check_and_tokenise(parsed, line)
        if isinstance(result, DeadLetter):
            self._dead.inc()
            yield beam.pvalue.TaggedOutput("dead", result)
        else:
            self._docs.inc()
            beam.metrics.Metrics.counter("ex15", f"docs_{result.split}_{result.language}").inc()
            yield result


class _JsonSink(fileio.TextSink):  # type: ignore[misc]
    """A text sink of Tokenised records, one JSON line each."""

    def write(self, record: Tokenised) -> None:
        super().write(record.to_json())


def build(p: beam.Pipeline, corpus: Path, out: Path) -> None:
    prepared = (p | "Read corpus" >> beam.io.ReadFromText(str(corpus), strip_trailing_newlines=True)
                | "Parse, detect, tokenise" >> beam.ParDo(_Prepare()).with_outputs("dead", main="docs"))
    _ = (prepared.docs
         | "Write shards" >> fileio.WriteToFiles(
             path=str(out / "shards"), destination=lambda t: t.destination, sink=lambda _d: _JsonSink(),
             shards=1, file_naming=fileio.destination_prefix_naming(suffix=".jsonl")))
    _ = (prepared.dead
         | "Dead JSON" >> beam.Map(lambda d: json.dumps({"reason": d.reason, "line": d.line},
                                                        ensure_ascii=False))
         | "Write dead" >> beam.io.WriteToText(str(out / "dead_letters"), ".jsonl", shard_name_template=""))


@dataclass(frozen=True)
class Shards:
    """What the pipeline wrote: documents' sentences by (split, language, entity), the dead letters,
    and Beam's counters."""

    root: Path
    docs: dict[tuple[str, str, str], list[list[list[str]]]]
    dead_letters: list[dict[str, str]]
    counters: dict[str, int]

    def sentences(self, split: str, language: str, entity: str | None = None) -> list[list[str]]:
        """Every sentence of a split in a language (of one entity, or of all), in document-id order."""
        out: list[list[str]] = []
        for (s, lang, ent), docs in sorted(self.docs.items()):
            if s == split and lang == language and (entity is None or ent == entity):
                for doc in docs:
                    out.extend(doc)
        return out

    def entities(self, language: str) -> list[str]:
        return sorted({ent for (_s, lang, ent) in self.docs if lang == language})

    def languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if any(k[1] == lang for k in self.docs)]

    def dead_reasons(self) -> Counter[str]:
        return Counter(d["reason"].split(":")[0] for d in self.dead_letters)

    def sizes(self) -> dict[str, int]:
        """Documents per `split-language-entity` shard."""
        return {"-".join(k): len(v) for k, v in sorted(self.docs.items())}


def read_shards(out: Path, counters: dict[str, int] | None = None) -> Shards:
    """Read back the shards under `out/shards` and `out/dead_letters.jsonl` (sorted by doc id, so the
    order does not depend on the runner's bundles)."""
    docs: dict[tuple[str, str, str], list[tuple[str, list[list[str]]]]] = {}
    for path in sorted((out / "shards").glob("*.jsonl")):
        split, language, entity = path.name.split("-")[:3]
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
        docs.setdefault((split, language, entity), []).extend((r["doc_id"], r["sentences"]) for r in rows)
    dead_path = out / "dead_letters.jsonl"
    dead = ([json.loads(x) for x in dead_path.read_text(encoding="utf-8").splitlines() if x]
            if dead_path.is_file() else [])
    ordered = {k: [s for _id, s in sorted(v, key=lambda d: d[0])] for k, v in docs.items()}
    return Shards(out, ordered, dead, counters or {})


def run(corpus: Path, out: Path, options: list[str] | None = None) -> Shards:
    """Run the job on `corpus` into `out` (cleared first) and read back what it wrote."""
    import shutil

    shutil.rmtree(out / "shards", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    p = beam.Pipeline(options=PipelineOptions(options or RUNNER))
    build(p, corpus, out)
    result = p.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: int(c.committed or c.attempted or 0)
                for c in result.metrics().query()["counters"]}
    return read_shards(out, counters)

"""One Beam pipeline for every runner: access-log CSV in, validate, filter, map, aggregate, CSV + SQLite out.

The query (the "log data migration" of the exercise): requests, bytes and latency per region and
status class (2xx, 4xx, 5xx...), health checks excluded, malformed lines dead-lettered with their
original text.

Two graphs compute the same answer:
- per line (the default): `ReadFromText`, one element per line, a combiner over `Request`s;
- batched (`batched=True`, the tuned one): one element per block of a few MiB, each block parsed and
  aggregated with pyarrow in one call (`block_partials`), so the runner handles a few elements per
  key and block instead of one per line; `MergeStats` merges the partial aggregates.

IO differs by runner only because the DaskRunner needs it (see `sinks.py`): "portable" IO reads with
`Create(paths) | FlatMap(read_file_lines)`, splits by type with `Filter`s (it routes tagged outputs
down the main output), and ends in one sink, because it computes only the last leaf of the graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from exercises.ex11_beam_runners.blocks import (
    BLOCK_BYTES,
    count_empty_lines,
    plan_blocks,
    read_block,
    split_lines,
)
from exercises.ex11_beam_runners.records import (
    COLUMNS,
    DEAD,
    HEADER,
    NUMBER,
    REGION,
    STATUS,
    TIMESTAMP,
    DeadLetter,
    ParseLine,
    Request,
    Stats,
    key_by_region_class,
    parse_line,
    status_class,
    to_row,
)
from exercises.ex11_beam_runners.sinks import list_inputs, read_file_lines, write_outputs


class RegionStats(beam.CombineFn):  # type: ignore[misc]
    """Requests, bytes, latency sum and max for one (region, status class). Integers only, so every
    runner, whatever order it adds in, gives the same bytes."""

    def create_accumulator(self) -> Stats:
        return (0, 0, 0, 0)

    def add_input(self, acc: Stats, request: Request) -> Stats:
        return (acc[0] + 1, acc[1] + request.bytes_sent, acc[2] + request.latency_ms,
                max(acc[3], request.latency_ms))

    def merge_accumulators(self, accumulators: Iterable[Stats]) -> Stats:
        total = self.create_accumulator()
        for acc in accumulators:
            total = (total[0] + acc[0], total[1] + acc[1], total[2] + acc[2], max(total[3], acc[3]))
        return total

    def extract_output(self, acc: Stats) -> Stats:
        return acc


class MergeStats(RegionStats):
    """The combiner of the batched graph: its inputs are partial `Stats`, already aggregated per block."""

    def add_input(self, acc: Stats, partial: Stats) -> Stats:  # type: ignore[override]
        return self.merge_accumulators([acc, partial])


def _full_match(column: Any, pattern: str) -> Any:
    return pc.match_substring_regex(column, f"^(?:{pattern})$")  # RE2: `$` is the end of the text


def block_partials(data: bytes) -> list[tuple[tuple[str, str], Stats] | DeadLetter]:
    """The partial aggregate per (region, status class) of the lines in `data`, and their dead letters.

    The same rules as `parse_line`, vectorised: pyarrow splits the CSV (no quoting, like
    `str.split(",")`), five RE2 matches validate whole columns at once, one filter keeps the valid
    traffic, and a hash group-by sums it per (region, status). Only the rare bad lines go through
    Python (`parse_line`), for their exact reason, and the few groups are folded into status classes
    there: whole-column string work (joining the fields to find the header, building "5xx" on every
    row) cost more than the regexes here.
    """
    if not data:  # a block that owns no line (pyarrow refuses an empty file)
        return []
    if b"\r" in data:  # pyarrow ends a row at a bare CR too, ReadFromText does not: the slow path
        return _partials_per_line(split_lines(data))
    bad: list[str] = []

    def wrong_field_count(row: Any) -> str:
        bad.append(row.text)
        return "skip"

    table = pcsv.read_csv(
        pa.py_buffer(data),
        read_options=pcsv.ReadOptions(column_names=list(COLUMNS), use_threads=False),
        parse_options=pcsv.ParseOptions(quote_char=False, ignore_empty_lines=True,
                                        invalid_row_handler=wrong_field_count),
        convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, pa.string())))
    header = pc.equal(table["timestamp"], COLUMNS[0])  # cheap; the whole line is compared only if needed
    if pc.any(header).as_py():
        header = pc.and_(header, pc.equal(pc.binary_join_element_wise(*[table[c] for c in COLUMNS], ","),
                                          HEADER))
        table = table.filter(pc.invert(header))
    valid = pc.and_(pc.and_(_full_match(table["timestamp"], TIMESTAMP), _full_match(table["status"], STATUS)),
                    pc.and_(pc.and_(_full_match(table["bytes_sent"], NUMBER),
                                    _full_match(table["latency_ms"], NUMBER)),
                            _full_match(table["region"], REGION)))
    invalid = table.filter(pc.invert(valid))
    bad += pc.binary_join_element_wise(*[invalid[c] for c in COLUMNS], ",").to_pylist()
    health = pc.or_(pc.equal(table["path"], "/healthz"), pc.starts_with(table["path"], "/healthz?"))
    table = table.filter(pc.and_(valid, pc.invert(health)))
    grouped = pa.table({
        "region": table["region"],
        "status": table["status"],
        "bytes_sent": pc.cast(table["bytes_sent"], pa.int64()),
        "latency_ms": pc.cast(table["latency_ms"], pa.int64()),
    }).group_by(["region", "status"]).aggregate(
        [("bytes_sent", "count"), ("bytes_sent", "sum"), ("latency_ms", "sum"), ("latency_ms", "max")])
    fn, partial = RegionStats(), dict[tuple[str, str], Stats]()
    for r in grouped.to_pylist():
        key = (r["region"], status_class(int(r["status"])))
        group = (r["bytes_sent_count"], r["bytes_sent_sum"], r["latency_ms_sum"], r["latency_ms_max"])
        partial[key] = fn.merge_accumulators([partial.get(key, fn.create_accumulator()), group])
    out: list[tuple[tuple[str, str], Stats] | DeadLetter] = list(partial.items())
    out += [parsed for parsed in map(parse_line, bad) if isinstance(parsed, DeadLetter)]
    out += [DeadLetter("field_count", "")] * count_empty_lines(data)
    return out


def _partials_per_line(lines: list[str]) -> list[tuple[tuple[str, str], Stats] | DeadLetter]:
    """The slow path of `block_partials`, line by line, for blocks pyarrow would split differently."""
    fn, partial = RegionStats(), dict[tuple[str, str], Stats]()
    out: list[tuple[tuple[str, str], Stats] | DeadLetter] = []
    for line in lines:
        if line == HEADER:
            continue
        parsed = parse_line(line)
        if isinstance(parsed, DeadLetter):
            out.append(parsed)
        elif parsed.path != "/healthz":
            key, request = key_by_region_class(parsed)
            partial[key] = fn.add_input(partial.get(key, fn.create_accumulator()), request)
    return [*partial.items(), *out]


def build(pipeline: beam.Pipeline, input_pattern: str, output_dir: str, db_path: str,
          portable_io: bool = False, batched: bool = False, block_bytes: int = BLOCK_BYTES) -> None:
    """Add the graph to `pipeline`. `portable_io` switches to the DaskRunner-safe IO (module doc);
    `batched` to the tuned graph, blocks of `block_bytes`."""
    if batched:
        both = (pipeline
                # Create reshuffles more than one element itself: the fusion break that spreads the
                # blocks over workers (a Reshuffle after it would be a second shuffle of the same data)
                | "Blocks" >> beam.Create(plan_blocks(input_pattern, block_bytes))
                | "BlockPartials" >> beam.FlatMap(lambda block: block_partials(read_block(block))))
        partials = both | "Partials" >> beam.Filter(lambda item: not isinstance(item, DeadLetter))
        dead = both | "Dead" >> beam.Filter(lambda item: isinstance(item, DeadLetter))
        stats = (partials
                 | "Aggregate" >> beam.CombinePerKey(MergeStats())
                 | "ToRow" >> beam.MapTuple(to_row))
        write_outputs(stats, dead, output_dir, db_path, portable_io)
        return
    if portable_io:
        lines = (pipeline | "Files" >> beam.Create(list_inputs(input_pattern))
                 | "ReadLines" >> beam.FlatMap(read_file_lines))
    else:
        lines = pipeline | "Read" >> beam.io.ReadFromText(input_pattern)
    lines = lines | "DropHeader" >> beam.Filter(lambda line: line != HEADER)
    if portable_io:
        parsed = lines | "Parse" >> beam.Map(parse_line)
        valid = parsed | "Valid" >> beam.Filter(lambda item: isinstance(item, Request))
        dead = parsed | "Dead" >> beam.Filter(lambda item: isinstance(item, DeadLetter))
    else:
        tagged = lines | "Parse" >> beam.ParDo(ParseLine()).with_outputs(DEAD, main="valid")
        valid, dead = tagged.valid, tagged[DEAD]
    stats = (valid
             | "DropHealthChecks" >> beam.Filter(lambda r: r.path != "/healthz")
             | "KeyByRegionClass" >> beam.Map(key_by_region_class)
             | "Aggregate" >> beam.CombinePerKey(RegionStats())
             | "ToRow" >> beam.MapTuple(to_row))
    write_outputs(stats, dead, output_dir, db_path, portable_io)

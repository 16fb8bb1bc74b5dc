"""One Beam pipeline for every runner: access-log CSV in, validate, filter, map, aggregate, CSV + SQLite out.

YOUR TASK: `RegionStats`, `MergeStats`, `block_partials` and `build`. The records, the parsing of
one line (`parse_line`, `ParseLine`), the block source (`blocks.py`) and the sinks (`sinks.py`) are
provided.

Two graphs compute the same answer:
- per line (the default): `ReadFromText`, one element per line, a combiner over `Request`s;
- batched (`batched=True`, the tuned one): one element per block of a few MiB, each block parsed and
  aggregated with pyarrow in one call (`block_partials`); `MergeStats` merges the partial aggregates.

With `portable_io` (the DaskRunner) read with `Create(list_inputs(...)) | FlatMap(read_file_lines)`
and split by type with `Filter`s: the DaskRunner sends tagged outputs down the main output.
"""

from __future__ import annotations

from collections.abc import Iterable

import apache_beam as beam

# What you build with: blocks (plan_blocks, read_block, split_lines, count_empty_lines, BLOCK_BYTES),
# records (parse_line, ParseLine, DEAD, HEADER, COLUMNS, TIMESTAMP/STATUS/NUMBER/REGION, to_row,
# key_by_region_class) and sinks (list_inputs, read_file_lines, write_outputs).
from exercises.ex11_beam_runners import blocks, records, sinks  # noqa: F401
from exercises.ex11_beam_runners.blocks import BLOCK_BYTES
from exercises.ex11_beam_runners.records import DeadLetter, Request, Stats


class RegionStats(beam.CombineFn):  # type: ignore[misc]
    """Requests, bytes, latency sum and max for one (region, status class). Integers only, so every
    runner, whatever order it adds in, gives the same bytes."""

    def create_accumulator(self) -> Stats:
        raise NotImplementedError("RegionStats.create_accumulator: the empty (0, 0, 0, 0)")

    def add_input(self, acc: Stats, request: Request) -> Stats:
        raise NotImplementedError("RegionStats.add_input: count, bytes, latency sum and max")

    def merge_accumulators(self, accumulators: Iterable[Stats]) -> Stats:
        raise NotImplementedError("RegionStats.merge_accumulators: add the sums, take the max")

    def extract_output(self, acc: Stats) -> Stats:
        raise NotImplementedError("RegionStats.extract_output: the accumulator is the output")


class MergeStats(RegionStats):
    """The combiner of the batched graph: its inputs are partial `Stats`, already aggregated per block."""

    def add_input(self, acc: Stats, partial: Stats) -> Stats:  # type: ignore[override]
        raise NotImplementedError("MergeStats.add_input: merge a partial into the accumulator")


def block_partials(data: bytes) -> list[tuple[tuple[str, str], Stats] | DeadLetter]:
    """The partial aggregate per (region, status class) of the lines in `data`, and their dead letters.

    The same rules as `parse_line`, vectorised: pyarrow splits the CSV (no quoting, like
    `str.split(",")`), five RE2 matches validate whole columns at once, and a hash group-by sums them.
    Only the rare bad lines go through Python (`parse_line`), for their exact reason.
    """
    raise NotImplementedError(
        "block_partials: pyarrow.csv.read_csv(data) with COLUMNS as names, every column a string, "
        "quote_char=False and an invalid_row_handler that keeps row.text; drop the "
        "HEADER row; validate with pc.match_substring_regex(col, f'^(?:{PATTERN})$'); drop /healthz; "
        "group_by(['region', 'status_class']).aggregate(count, sums, max) -> ((region, class), Stats); "
        "plus parse_line(line) of every bad line (a DeadLetter) and one field_count DeadLetter per "
        "count_empty_lines(data); a block with b'\\r' in it: split_lines and the per-line rules instead")


def build(pipeline: beam.Pipeline, input_pattern: str, output_dir: str, db_path: str,
          portable_io: bool = False, batched: bool = False, block_bytes: int = BLOCK_BYTES) -> None:
    """Add the graph to `pipeline`. `portable_io` switches to the DaskRunner-safe IO (module doc);
    `batched` to the tuned graph, blocks of `block_bytes`."""
    raise NotImplementedError(
        "build: per line: ReadFromText (or, portable_io, Create(list_inputs) | FlatMap(read_file_lines)), "
        "drop HEADER, ParDo(ParseLine()).with_outputs(DEAD) (portable_io: Map(parse_line) + two Filters), "
        "drop /healthz, key_by_region_class, CombinePerKey(RegionStats()), MapTuple(to_row); batched: "
        "Create(plan_blocks) | FlatMap(block_partials(read_block(b))), two Filters by type, "
        "CombinePerKey(MergeStats()), MapTuple(to_row); then write_outputs(stats, dead, ...)")

"""Realistic wrong answers to ex04 that its tests must reject (format: `bootcamp.grading.Mistake`)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="retry-the-whole-putrecords-batch",
        lesson="Resending every entry when some were refused writes the accepted ones twice: PutRecords "
               "is not all-or-nothing, so only the refused entries may go again.",
        file="put_records.py",
        old="        pending = refused\n",
        new="        pending = pending if refused else []\n",
        expect="the retry resent entries Kinesis had accepted",
        tests=("tests/test_put_records.py::test_only_the_refused_entries_are_sent_again_with_growing"
               "_pauses",),
    ),
    Mistake(
        name="ignore-failed-record-count",
        lesson="Reading a 200 answer as success ignores FailedRecordCount: the refused entries are lost "
               "silently, and nobody retries or reports them.",
        file="put_records.py",
        old='''            if response.get("FailedRecordCount", 0):''',
        new='''            if False:''',
        expect="the refused entries were dropped",
        tests=("tests/test_put_records.py::test_entries_refused_every_time_are_returned_not_dropped",),
    ),
    Mistake(
        name="success-for-a-failed-record",
        lesson="Returning success for a record whose output was never written lets the mapping "
               "checkpoint past it: the record is gone, with no retry and no on-failure record.",
        file="handler.py",
        old='''        if record.kinesis.sequence_number in undelivered:
            raise DeliveryFailed(''',
        new='''        if record.kinesis.sequence_number in undelivered and False:
            raise DeliveryFailed(''',
        expect="with ReportBatchItemFailures the checkpoint stops just before the poison record",
        tests=("tests/test_pipeline.py::test_a_poison_record_is_isolated_by_reported_failures_and_bisect"
               "_then_sent_to_the_destination",),
    ),
    Mistake(
        name="wrong-item-identifier",
        lesson="put_records returns positions in the list it was given, which skips the dead-lettered "
               "records; reading them as positions in the event reports a neighbour's sequence number, "
               "so the mapping checkpoints past the record that really failed.",
        file="handler.py",
        old="        undelivered.update(pairs[i][0] for i in refused)\n",
        new='''        undelivered.update(event["Records"][i]["kinesis"]["sequenceNumber"] '''
            '''for i in refused)\n''',
        expect="with ReportBatchItemFailures the checkpoint stops just before the poison record",
        tests=("tests/test_pipeline.py::test_a_poison_record_is_isolated_by_reported_failures_and_bisect"
               "_then_sent_to_the_destination",),
    ),
    Mistake(
        name="swallow-a-bad-record",
        lesson="Skipping a bad record without a dead letter keeps the stream moving but loses the record "
               "and its reason: nobody can see, count or replay it.",
        file="handler.py",
        old="            dead.append((sequence_number, {\"Data\": json.dumps(letter).encode(), "
            "\"PartitionKey\": key}))\n",
        new="",
        expect="bad records were dropped without a dead letter",
        tests=("tests/test_pipeline.py::test_every_order_is_enriched_once_in_per_key_order_and_bad_ones"
               "_dead_lettered",),
    ),
    Mistake(
        name="partial-response-without-report-batch-item-failures",
        lesson="Without FunctionResponseTypes: [ReportBatchItemFailures] the mapping ignores a returned "
               "batchItemFailures list and checkpoints the whole batch: the function must fail the "
               "invocation instead, or bisect never finds the poison record and it is lost.",
        file="handler.py",
        old="    if undelivered and not settings.report_failures:\n",
        new="    if undelivered and not settings.report_failures and False:\n",
        expect="the poison record was lost",
        tests=("tests/test_pipeline.py::test_bisect_isolates_a_poison_record_when_the_function_fails_the"
               "_whole_batch",),
    ),
    Mistake(
        name="no-source-on-the-output",
        lesson="At-least-once delivery makes copies (a retried batch, a timed-out invocation that did "
               "write); an output without its source eventID leaves consumers no way to drop them.",
        file="handler.py",
        old='''        enriched["source"] = source_of(record)\n''',
        new="",
        expect="the output lacks its source eventID",
        tests=("tests/test_pipeline.py::test_every_order_is_enriched_once_in_per_key_order_and_bad_ones"
               "_dead_lettered",),
    ),
]

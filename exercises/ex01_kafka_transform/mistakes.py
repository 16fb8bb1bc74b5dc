"""Realistic wrong answers to Exercise 1, each one small edit to the solution that its tests reject.

See `bootcamp/grading.py` for the format. Each was checked by hand: the solution copied into
`starter/`, the edit applied, the named tests run with `--impl=starter`: they fail with `expect`.
"""

from __future__ import annotations

from bootcamp.grading import Mistake

FAILED_DELIVERY = ("tests/test_delivery.py::"
                   "test_committed_offsets_do_not_move_past_a_record_whose_delivery_failed")

MISTAKES: list[Mistake] = [
    Mistake(
        name="commit-before-delivery",
        lesson="Committing a batch's offsets before its delivery reports arrive loses every record "
               "whose delivery then fails: the restart resumes after them.",
        file="transformer.py",
        old="        self._wait_for_deliveries(deliveries)\n        self._commit(next_offsets)\n",
        new="        self._commit(next_offsets)\n        self._wait_for_deliveries(deliveries)\n",
        expect="committed offsets moved past records whose delivery failed",
        tests=(FAILED_DELIVERY,),
    ),
    Mistake(
        name="auto-commit",
        lesson="Auto-commit commits consumed offsets on a timer and on close, whatever happened to the "
               "output: a record consumed but not delivered is lost.",
        file="transformer.py",
        old='            "enable.auto.commit": False,\n',
        new='            "enable.auto.commit": True,\n',
        expect="auto-commit is on",
        tests=("tests/test_delivery.py::test_offsets_are_not_committed_automatically", FAILED_DELIVERY),
    ),
    Mistake(
        name="commit-last-offset-not-next",
        lesson="A committed offset is the next record to read; committing the last processed offset "
               "re-reads one record per partition at every restart or rebalance.",
        file="transformer.py",
        old="            next_offsets[(where.topic, where.partition)] = where.offset + 1\n",
        new="            next_offsets[(where.topic, where.partition)] = where.offset\n",
        expect="the last processed offset + 1",
        tests=("tests/test_transformer.py::test_sigterm_exits_zero_promptly_with_offsets_committed",),
    ),
    Mistake(
        name="dead-letter-without-original-bytes",
        lesson="A dead letter that carries the error instead of the original value cannot be replayed "
               "once the bug is fixed: the record is lost after all.",
        file="transformer.py",
        old="        self.produce(self.settings.dead_letter_topic, msg.key(), msg.value(),\n",
        new="        self.produce(self.settings.dead_letter_topic, msg.key(), str(error).encode(),\n",
        expect="a dead letter must keep the original bytes",
        tests=("tests/test_transformer.py::"
               "test_bad_records_are_dead_lettered_with_reasons_while_good_ones_flow",),
    ),
    Mistake(
        name="dead-letter-without-original-headers",
        lesson="Dropping the record's own headers from its dead letter loses its trace ids and "
               "metadata; a replay would not be the same record.",
        file="transformer.py",
        old="dead_letter_headers(headers(msg), source, error)",
        new="dead_letter_headers([], source, error)",
        expect="a dead letter must keep the original headers",
        tests=("tests/test_transformer.py::"
               "test_bad_records_are_dead_lettered_with_reasons_while_good_ones_flow",),
    ),
    Mistake(
        name="eos-offsets-committed-outside-the-transaction",
        lesson="Committing the input offsets with the consumer after commit_transaction makes two "
               "commits of one batch: a crash between them re-processes a committed batch.",
        file="transactional.py",
        old="""            if partitions:
                self.producer.send_offsets_to_transaction(
                    self.consumer.position(list(partitions.values())),
                    self.consumer.consumer_group_metadata(), self.settings.flush_timeout_s)
            self._commit_transaction()
""",
        new="""            self._commit_transaction()
            if partitions:
                self.consumer.commit(offsets=self.consumer.position(list(partitions.values())),
                                     asynchronous=False)
""",
        expect="must be committed inside the transaction",
        tests=("tests/test_exactly_once.py::"
               "test_sigkill_just_after_a_commit_then_restart_reprocesses_nothing",),
    ),
    Mistake(
        name="eos-abort-without-rewind",
        lesson="After abort_transaction the consumer's position is past the aborted batch; without a "
               "seek back to the committed offsets, the next commit skips it.",
        file="transactional.py",
        old="""            self.consumer.seek(tp if tp.offset >= 0 else
                               TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING))
""",
        new="""            log.info("not rewinding %s", tp)
""",
        expect="after abort_transaction the consumer must seek back",
        tests=("tests/test_exactly_once.py::"
               "test_an_aborted_transaction_is_rewound_and_redone_losing_nothing",),
    ),
]

"""Realistic wrong answers to Exercise 9 that its tests must reject (format: bootcamp.grading).

Four need the Flink job itself (the session's one job run, ~60-120 s each here); two are caught by
the fast unit tests.
"""

from __future__ import annotations

from bootcamp.grading import Mistake

JOB = "tests/test_job.py"

MISTAKES: list[Mistake] = [
    Mistake(
        name="at-least-once-sink",
        lesson="An at-least-once Kafka sink writes outside transactions: after a restart from the last "
        "checkpoint it writes again what the failed attempt had already written, and read_committed "
        "readers see duplicates.",
        file="pipeline.py",
        old=".set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE)",
        new=".set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE)",
        expect="at-least-once",
        tests=(f"{JOB}::test_scored_tweets_are_written_in_transactions",
               f"{JOB}::test_every_valid_tweet_is_scored_exactly_once_after_the_restart"),
    ),
    Mistake(
        name="no-out-of-orderness-bound",
        lesson="Monotonous watermarks assume tweets arrive in created_at order; they do not, so tweets a "
        "second or two out of order become late and vanish from their windows.",
        file="pipeline.py",
        old="""return WatermarkStrategy.for_bounded_out_of_orderness(
        Duration.of_seconds(settings.out_of_orderness_s)
    ).with_timestamp_assigner(CreatedAt())""",
        new="return WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(CreatedAt())",
        expect="no out-of-orderness bound",
        tests=(f"{JOB}::test_late_tweets_beyond_the_bound_are_counted_not_dropped",),
    ),
    Mistake(
        name="bad-records-dropped-silently",
        lesson="Skipping a record that fails validation keeps the job alive but loses it without a trace; "
        "it belongs in the dead-letter topic with its reason.",
        file="pipeline.py",
        old="yield dead_letter, tweet.to_json()",
        new="pass  # skip bad records",
        expect="dropped silently",
        tests=(f"{JOB}::test_every_bad_record_is_dead_lettered_exactly_once_with_its_reason",),
    ),
    Mistake(
        name="window-keyed-by-tweet",
        lesson="Keying the window by the tweet id instead of the hashtag makes one window per tweet: the "
        "per-hashtag aggregate is never formed.",
        file="pipeline.py",
        old=".key_by(lambda r: r[0], key_type=Types.STRING())",
        new=".key_by(lambda r: r[4], key_type=Types.STRING())",
        expect="keyed by",
        tests=(f"{JOB}::test_window_aggregates_equal_an_offline_computation",),
    ),
    Mistake(
        name="no-checkpointing",
        lesson="Without checkpointing the transactional sinks never commit and a restarted job starts over "
        "from the beginning: nothing is exactly-once.",
        file="pipeline.py",
        old='"execution.checkpointing.interval": f"{settings.checkpoint_ms} ms",',
        new="",
        expect="checkpointing is off",
        tests=("tests/test_units.py::test_job_configuration_checkpoints_exactly_once_and_restarts",),
    ),
    Mistake(
        name="no-neutral-band",
        lesson="Pattern gives plain statements small non-zero polarities; labelling every polarity above "
        "zero positive calls most neutral tweets positive.",
        file="scoring.py",
        old="if polarity >= NEUTRAL_BAND:",
        new="if polarity > 0:",
        expect="neutral",
        tests=("tests/test_units.py::test_label_has_a_neutral_band",),
    ),
]

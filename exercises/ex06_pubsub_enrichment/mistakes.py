"""Realistic wrong answers to ex06 that its tests must reject (format: `bootcamp.grading.Mistake`)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="ack-before-publish-confirmed",
        lesson="Acking the raw message before the enriched publish is confirmed loses the event whenever "
               "that publish fails (or the process dies in between): at-most-once, not at-least-once.",
        file="enricher.py",
        old='''        try:
            await self.publish(self.enriched_topic, json.dumps(enriched).encode(),''',
        new='''        message.ack()
        try:
            await self.publish(self.enriched_topic, json.dumps(enriched).encode(),''',
        expect="acked before the enriched publish was confirmed",
        tests=("tests/test_enricher.py::test_a_failed_publish_is_nacked_and_redelivered",),
    ),
    Mistake(
        name="ack-on-publish-failure",
        lesson="Acking when the publish raised (to 'keep the stream moving') drops the event silently; a "
               "failed publish is transient: hand the message back.",
        file="enricher.py",
        old='''            log.warning("publish failed, message handed back: %s", exc)
            return await self.hand_back(message)''',
        new='''            log.warning("publish failed, message dropped: %s", exc)
            message.ack()
            return "nacked"''',
        expect="acked before the enriched publish was confirmed",
        tests=("tests/test_enricher.py::test_a_failed_publish_is_nacked_and_redelivered",),
    ),
    Mistake(
        name="5xx-is-permanent",
        lesson="A 503 says 'not now', not 'never': treating a 5xx as permanent dead-letters good events "
               "during every API blip instead of retrying them.",
        file="enricher.py",
        old='''        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"bookstore answered {response.status_code}")''',
        new='''        if response.status_code == 429 or response.status_code >= 500:
            raise BadMessageError(f"bookstore answered {response.status_code}")''',
        expect="an API 503 was treated as permanent",
        tests=("tests/test_enricher_parts.py::test_a_503_is_transient_and_retried",
               "tests/test_enricher.py::test_an_api_answering_503_then_200_loses_nothing"),
    ),
    Mistake(
        name="unknown-book-retried",
        lesson="A 404 will never succeed: retrying it burns the API and every delivery attempt, and the "
               "event reaches the dead-letter topic late and without the real reason.",
        file="enricher.py",
        old='''            raise UnknownBookError(f"unknown book_id {isbn} (404)")''',
        new='''            raise TransientError(f"unknown book_id {isbn} (404)")''',
        expect="unknown book_id",
        tests=("tests/test_enricher_parts.py::test_unknown_book_is_permanent_and_down_api_is_transient",),
    ),
    Mistake(
        name="no-dead-letter-on-last-attempt",
        lesson="Nacking forever leaves it to the subscription's dead-letter policy, which forwards the "
               "message without a word of why: dead-letter it yourself, with the reason, on the last try.",
        file="enricher.py",
        old='''            if attempt >= self.settings.max_delivery_attempts:''',
        new='''            if attempt > self.settings.max_delivery_attempts:''',
        expect="without a reason",
        tests=("tests/test_enricher.py::test_messages_that_keep_failing_are_dead_lettered_with_the_reason",),
    ),
    Mistake(
        name="no-single-flight",
        lesson="Without single flight, a burst of misses for one hot book sends one request each: a cache "
               "stampede on the API exactly when it is coldest.",
        file="enricher.py",
        old='''        pending = self._inflight.get(isbn)
        if pending is not None:
            return await asyncio.shield(pending)''',
        new='''        book = await self._fetch(isbn)  # cache, but no single flight
        if self.cache is not None:
            self.cache[isbn] = book
        return book''',
        expect="ten concurrent misses share one request",
        tests=("tests/test_enricher_parts.py::test_cache_and_single_flight",),
    ),
]

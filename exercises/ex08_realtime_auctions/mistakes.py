"""Realistic wrong answers to ex08, each one small edit to the reference solution, that the check must
reject with a message naming the mistake (the format: `bootcamp/grading.py`)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="seller-bids-on-own-item",
        lesson="The bid statement forgot `seller_id <> :bidder_id`: a seller can bid up their own item "
               "(shill bidding); the rule belongs in the statement that decides, where nothing skips it.",
        file="sql/bids.sql",
        old="       AND seller_id <> :bidder_id\n",
        new="",
        expect="a seller's bid on their own item must be refused by the bid statement as own_item",
        tests=("tests/test_concurrency.py::test_the_seller_cannot_bid_on_their_own_item",),
    ),
    Mistake(
        name="price-checked-against-a-snapshot",
        lesson="The price is compared with a sub-select, read once from the statement's snapshot, not "
               "with the row the UPDATE locked: bids queued on the lock are not re-checked against the "
               "winner (a lost update: several equal bids accepted).",
        file="sql/bids.sql",
        old="       AND :amount_cents >= COALESCE(current_price_cents + min_increment_cents, "
            "starting_price_cents)\n",
        new="       AND :amount_cents >= (SELECT COALESCE(i.current_price_cents + i.min_increment_cents, "
            "i.starting_price_cents) FROM items i WHERE i.id = :item_id)\n",
        expect="lost update",
        tests=("tests/test_concurrency.py::test_bids_queued_on_the_row_lock_are_rechecked_against_the_one_that_won",),
    ),
    Mistake(
        name="increment-not-enforced",
        lesson="Any amount above the current price is accepted: a one-cent raise wins, and the minimum "
               "increment the seller was promised is not kept.",
        file="sql/bids.sql",
        old="       AND :amount_cents >= COALESCE(current_price_cents + min_increment_cents, "
            "starting_price_cents)\n",
        new="       AND :amount_cents > COALESCE(current_price_cents, starting_price_cents - 1)\n",
        expect="below the current price plus the minimum increment",
        tests=("tests/test_concurrency.py::test_a_bid_must_beat_the_current_price_by_the_minimum_increment",),
    ),
    Mistake(
        name="end-compared-with-now",
        lesson="`now()` is the start of the transaction, not of the bid: a bid sent after the end, in a "
               "transaction begun before it, is accepted.",
        file="sql/bids.sql",
        old="       AND ends_at > statement_timestamp()\n",
        new="       AND ends_at > now()\n",
        expect="the end time was compared with now()",
        tests=("tests/test_concurrency.py::test_a_bid_sent_after_the_end_is_refused_even_in_an_older_transaction",),
    ),
    Mistake(
        name="end-compared-with-the-lock-grant",
        lesson="`clock_timestamp()` is evaluated when the row lock is granted: a bid that arrived before "
               "the end but queued behind others is refused, though it was in time.",
        file="sql/bids.sql",
        old="       AND ends_at > statement_timestamp()\n",
        new="       AND ends_at > clock_timestamp()\n",
        expect="waited on the row lock was refused",
        tests=("tests/test_concurrency.py::test_a_bid_that_arrived_before_the_end_is_judged_by_its_arrival",),
    ),
    Mistake(
        name="retry-replayed-only-before-the-attempt",
        lesson="The idempotency key is looked up only before the bid: a retry that waited on the row lock "
               "behind its own original is refused as too low, and the client cannot tell it won.",
        file="auctions.py",
        old="    # The original may have committed while this retry waited on the row lock: "
            "it is the answer.\n"
            "    if idempotency_key is not None and (earlier := await _replay(\n"
            "            conn, item_id, bidder_id, amount_cents, idempotency_key)):\n"
            "        return earlier\n",
        new="",
        expect="refused instead of replayed",
        tests=("tests/test_concurrency.py::test_a_retried_bid_racing_its_original_gets_the_same_bid",),
    ),
    Mistake(
        name="slow-watcher-silently-dropped",
        lesson="A watcher whose queue is full just misses the event: it shows a stale price with no sign "
               "of it, instead of being told to resync and catch up from the database.",
        file="realtime.py",
        old="                self.unsubscribe(subscription)\n"
            "                force_resync(subscription)\n"
            "                self.resyncs += 1\n",
        new="                continue  # the watcher is slow: skip it\n",
        expect="was not told to resync",
        tests=("tests/test_realtime.py::test_the_hub_routes_by_item_drops_garbage_and_resyncs_a_slow_watcher",),
    ),
    Mistake(
        name="migrations-without-the-advisory-lock",
        lesson="Two instances starting together both see a migration as pending and both apply it; the "
               "advisory lock is what makes concurrent runners take turns.",
        file="migrate.py",
        old='    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)\n',
        new="",
        expect="did not take turns",
        tests=("tests/test_migrations.py::test_two_runners_at_once_apply_each_migration_once",),
    ),
]

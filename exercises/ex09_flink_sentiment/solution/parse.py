"""Parse and validate one raw tweet: a `Tweet`, or a `Rejected` with the reason for the dead-letter topic."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from exercises.ex09_flink_sentiment.records import Rejected, Tweet


def event_time_ms(created_at: str) -> int:
    """v2's `created_at` (ISO 8601 with a `Z`) as epoch milliseconds; ValueError if it is not one."""
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("created_at has no time zone")
    return int(moment.timestamp() * 1000)


def parse_tweet(raw: str) -> Tweet | Rejected:  # noqa: PLR0911  # one return per defect, by design
    """One Kafka value from the `tweets` topic, checked field by field.

    Never raises: a job that throws on one record fails (and, restarted, fails again on the same
    record), so every defect becomes a `Rejected` that names it.
    """
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return Rejected(f"invalid JSON: {exc.__class__.__name__}", raw)
    if not isinstance(data, dict):
        return Rejected(f"not a JSON object: {type(data).__name__}", raw)
    if "data" in data and isinstance(data["data"], dict):  # a stream envelope {"data": ..., "matching_rules"}
        data = data["data"]
    for name in ("id", "text", "created_at"):
        if name not in data:
            return Rejected(f"missing field: {name}", raw)
    text = data["text"]
    if not isinstance(text, str):
        return Rejected(f"text is not a string: {type(text).__name__}", raw)
    if not text.strip():
        return Rejected("empty text", raw)
    try:
        created = event_time_ms(str(data["created_at"]))
    except ValueError:
        return Rejected(f"bad created_at: {str(data['created_at'])[:40]}", raw)
    raw_entities = data.get("entities")
    entities: dict[str, Any] = raw_entities if isinstance(raw_entities, dict) else {}
    tags: list[str] = []
    for item in entities.get("hashtags", []) or []:
        tag = str(item.get("tag", "")).lower() if isinstance(item, dict) else ""
        if tag and tag not in tags:
            tags.append(tag)
    return Tweet(
        id=str(data["id"]),
        text=text,
        created_at_ms=created,
        hashtags=tuple(tags),
        lang=str(data.get("lang", "und")),
    )

"""Sentiment of one text: TextBlob's default analyzer (PatternAnalyzer) decides, VADER is kept beside it."""

from __future__ import annotations

from exercises.ex09_flink_sentiment.records import Sentiment

NEUTRAL_BAND = 0.1
"""|polarity| below this is neutral: Pattern gives small non-zero scores to plain statements."""


def label(polarity: float) -> str:
    """positive / negative / neutral, with a neutral band around zero."""
    raise NotImplementedError("scoring.label: map a polarity to positive/negative/neutral")


def score(text: str) -> Sentiment:
    """TextBlob's polarity and its label, and VADER's compound score."""
    raise NotImplementedError("scoring.score: score the text with TextBlob and VADER")

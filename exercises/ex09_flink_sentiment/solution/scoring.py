"""Sentiment of one text: TextBlob's default analyzer (PatternAnalyzer) decides, VADER is kept beside it.

Both lexicons ship inside their wheels, so this works offline; TextBlob's tokenizers and taggers need
NLTK corpora (a download), which `TextBlob(text).sentiment` does not touch.
"""

from __future__ import annotations

from functools import cache

from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from exercises.ex09_flink_sentiment.records import Sentiment

NEUTRAL_BAND = 0.1
"""|polarity| below this is neutral: Pattern gives small non-zero scores to plain statements."""


@cache
def _vader() -> SentimentIntensityAnalyzer:
    """One analyzer per process (loading the lexicon takes ~50 ms; a Flink worker scores thousands)."""
    return SentimentIntensityAnalyzer()


def label(polarity: float) -> str:
    """positive / negative / neutral, with a neutral band around zero."""
    if polarity >= NEUTRAL_BAND:
        return "positive"
    if polarity <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def score(text: str) -> Sentiment:
    polarity = float(TextBlob(text).sentiment.polarity)
    compound = float(_vader().polarity_scores(text)["compound"])
    return Sentiment(polarity=round(polarity, 6), label=label(polarity), vader=compound)

"""Provided: tokenisation and a stop-word language detector, both small enough to read in a minute.

Tokens: lower case; a word is a run of letters (accents kept: `configuración`, `één`); a run of digits
becomes `<num>` (cell references and version numbers would otherwise fill the vocabulary with
one-off tokens); any other non-space character is a token of its own (`-`, `.`, `(`). Each line of a
document (a paragraph of the help page) becomes one sentence, closed by `</s>`.

Language detection: the share of a text's words that are in each language's list of its most common
function words. Function words are what tells Dutch from English from Spanish (content words such as
`LibreOffice`, `Calc` or `Enter` are shared); 60 per language is plenty for a paragraph. The answer is
`und` (undetermined) when too few words are stop words or the best two languages are too close:
English menu names left untranslated in a Spanish page must not be enough to call it English.

The stop words serve the detector only: they are NOT removed from the text. A language model
predicts the next word, and most next words are function words; removing them would leave a model
of a language nobody writes (the seed's "removing stop words" fits a bag-of-words classifier, not an LM).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EOS, UNK, NUM = "</s>", "<unk>", "<num>"

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LISTS: dict[str, frozenset[str]] = {
    "en": _words("""the of and to a in is that for it as with on be by this are or from at an
        not you can which have all will if has but one was more when there their your they these
        its into then other only also so such each use used than may any where how been would
        what we does under should choose click select press enter"""),
    "nl": _words("""de het een en van in is dat op te voor met zijn niet aan er als om ook door
        bij of u uit kan dan deze die naar wordt worden maar wel nog over tot hebt heeft kunt
        geen zo al dit moet hoe wat waar alle andere wanneer elke hier onder mag via wilt zal
        toe kies klik selecteer druk voer"""),
    "es": _words("""a el la de que y en los las del un una por con para se es al no lo como más
        su sus o pero este esta si ya entre cuando todo todos también puede desde hay donde
        sobre sin ser son está otro otra cada muy mismo hasta les le esto estos ese tiene
        debe elija pulse seleccione vaya haga escoja"""),
}

STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(w for w in words if not any(w in other for o, other in _LISTS.items() if o != lang))
    for lang, words in _LISTS.items()}
"""Each language's list less the words another list has too (`a`, `en`, `de`, `in`, `is`, `no`...):
a word that two languages share tells them apart no better than a noun."""

_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]")
_WORD = re.compile(r"[^\W\d_]+")


def tokenize(line: str) -> list[str]:
    """One line into tokens (without the closing `</s>`)."""
    return [NUM if t.isdigit() else t for t in (m.group(0).lower() for m in _TOKEN.finditer(line))]


def sentences(text: str) -> list[list[str]]:
    """A document's text into sentences (one per non-empty line), each closed by `</s>`."""
    return [[*tokens, EOS] for tokens in (tokenize(line) for line in text.splitlines()) if tokens]


@dataclass(frozen=True)
class Detection:
    """What the detector decided, with the shares it decided on (for a dead letter's reason)."""

    language: str
    shares: dict[str, float]
    words: int


def detect_language(text: str, *, min_words: int = 8, min_share: float = 0.06,
                    min_margin: float = 0.04) -> Detection:
    """The language whose stop words make up the largest share of the text's words, or `und` when
    the text is too short, has too few stop words, or two languages are within `min_margin`."""
    words = [w.lower() for w in _WORD.findall(text)]
    shares = {lang: (sum(1 for w in words if w in stops) / len(words) if words else 0.0)
              for lang, stops in STOP_WORDS.items()}
    ranked = sorted(shares, key=lambda lang: -shares[lang])
    best, second = ranked[0], ranked[1]
    undetermined = (len(words) < min_words or shares[best] < min_share
                    or shares[best] - shares[second] < min_margin)
    return Detection("und" if undetermined else best, shares, len(words))

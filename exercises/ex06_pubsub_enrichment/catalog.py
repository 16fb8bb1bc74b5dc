"""The Bookstore's catalog: thousands of books, generated deterministically (same seed, same books).

Nothing is downloaded: titles, authors and publishers are composed from word lists with a seeded
random generator, ISBN-13s are real ISBN-13s (978 prefix, valid check digit), and prices, years,
page counts and genres follow plausible distributions. Generation takes milliseconds, so the API, the
generator and the tests all derive the same catalog instead of sharing a file.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

DEFAULT_SIZE = 5000
SEED = 20240601

_ADJECTIVES = ("Silent", "Broken", "Hidden", "Last", "Crimson", "Distant", "Golden", "Forgotten", "Quiet",
               "Restless", "Burning", "Frozen", "Secret", "Wandering", "Invisible", "Bitter", "Electric",
               "Northern", "Hollow", "Endless", "Gentle", "Savage", "Paper", "Glass", "Iron")
_NOUNS = ("River", "Garden", "Empire", "Harbor", "Signal", "Orchard", "Lantern", "Machine", "Archive",
          "Winter", "Kingdom", "Compass", "Mirror", "Forest", "Island", "Letter", "Atlas", "Engine",
          "Theory", "Voyage", "Station", "Cathedral", "Market", "Frontier", "Pattern", "Algorithm")
_SUBJECTS = ("Distributed Systems", "Stream Processing", "Data Pipelines", "Cloud Architecture",
             "Event Sourcing", "Databases", "Functional Programming", "Machine Learning", "Networks",
             "Site Reliability", "Type Systems", "Compilers")
_FIRST = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Leslie", "Margaret", "Ken",
          "Radia", "John", "Sophie", "Tim", "Katherine", "Niklaus", "Hedy", "Dennis", "Shafi", "Butler",
          "Amara", "Mateo", "Ingrid", "Kenji", "Olga", "Priya", "Tomás", "Yara", "Lars", "Chiara")
_LAST = ("Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Lamport", "Hamilton",
         "Thompson", "Perlman", "McCarthy", "Wilson", "Berners-Lee", "Johnson", "Wirth", "Lamarr",
         "Ritchie", "Goldwasser", "Lampson", "Okafor", "García", "Lindqvist", "Watanabe", "Petrova",
         "Raman", "Silva", "Haddad", "Nielsen", "Rossi")
_PUBLISHERS = ("Harbor & Finch", "Northlight Press", "Vellum House", "Quarto Lane", "Meridian Books",
               "Blue Heron", "Copperplate", "Oakridge University Press")
_GENRES = ("fiction", "mystery", "science-fiction", "fantasy", "history", "biography", "science",
           "technology", "poetry", "travel")
_ISBN = re.compile(r"^97[89]\d{10}$")


@dataclass(frozen=True)
class Book:
    isbn: str
    title: str
    authors: tuple[str, ...]
    publisher: str
    year: int
    pages: int
    genre: str
    price_eur: float
    rating: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["authors"] = list(self.authors)
        return data


def isbn13_check_digit(first12: str) -> str:
    """The ISBN-13 check digit: weights 1,3,1,3,... over 12 digits, mod 10."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_isbn13(value: str) -> bool:
    """13 digits, a 978/979 prefix and a correct check digit."""
    return bool(_ISBN.match(value)) and isbn13_check_digit(value[:12]) == value[12]


def _title(rng: random.Random, genre: str) -> str:
    if genre == "technology":
        verb = rng.choice(("Designing", "Understanding", "Practical", "Mastering"))
        return f"{verb} {rng.choice(_SUBJECTS)}"
    pattern = rng.randrange(4)
    adjective, noun, other = rng.choice(_ADJECTIVES), rng.choice(_NOUNS), rng.choice(_NOUNS)
    return (f"The {adjective} {noun}", f"{noun} of the {adjective} {other}",
            f"A {noun} in {rng.choice(('Winter', 'Spring', 'Exile', 'Ruins', 'Bloom'))}",
            f"{adjective} {noun}s")[pattern]


@cache
def build_catalog(size: int = DEFAULT_SIZE, seed: int = SEED) -> dict[str, Book]:
    """`size` books by ISBN-13, identical for identical arguments."""
    rng = random.Random(seed)
    books: dict[str, Book] = {}
    while len(books) < size:
        first12 = f"978{rng.randrange(10**9):09d}"
        isbn = first12 + isbn13_check_digit(first12)
        if isbn in books:
            continue
        genre = rng.choice(_GENRES)
        authors = tuple(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(1 + (rng.random() < 0.2)))
        books[isbn] = Book(
            isbn=isbn, title=_title(rng, genre), authors=authors, publisher=rng.choice(_PUBLISHERS),
            year=rng.randint(1950, 2025), pages=max(48, int(rng.gauss(320, 110))), genre=genre,
            price_eur=round(rng.uniform(6, 60), 2),
            rating=round(min(5.0, max(1.0, rng.gauss(3.9, 0.6))), 1),
        )
    return books

"""Provided: the corpus of Exercise 15, its records, and how it is rebuilt from Debian's packages.

The documents are LibreOffice's help pages as Debian ships them, in Dutch (`libreoffice-help-nl`),
Spanish (`-es`) and US English (`-en-us`). The three packages are translations of one source, so each
page exists in all three languages under the same path: the entity of a document is the help
*module* it belongs to (`scalc`, `swriter`, ...), and a document id (`scalc/01/04060104`) names the
same page in every language.

`build(...)` is what set-up would run on a machine without the committed sample: `apt-get download`
the three packages (no install, no root needed for the download itself), `dpkg -x` them into a temp
folder, keep the text of each page's `DisplayArea` (headings, paragraphs, list items, table cells;
the navigation, search box, scripts and footer are boilerplate and dropped), and write one JSON line
per document. The committed sample `data/ex15/helpdocs.jsonl` is that output for four modules, capped
per module (see data/README.md); `python -m exercises.ex15_multilingual_ml.corpus` rebuilds it.
"""

from __future__ import annotations

import argparse
import html.parser
import json
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from bootcamp.paths import REPO_ROOT

LANGUAGES = ("nl", "es", "en")
"""The course's three languages, as ISO 639-1 codes (the help's own folder for English is `en-US`)."""
PACKAGES = {"nl": "libreoffice-help-nl", "es": "libreoffice-help-es", "en": "libreoffice-help-en-us"}
HELP_FOLDERS = {"nl": "nl", "es": "es", "en": "en-US"}
ENTITY_TYPE = "help_module"
DEFAULT_MODULES = ("scalc", "swriter", "simpress", "smath")
DEFAULT_WORDS_PER_MODULE = 14_000
"""The cap per module (English words; the other languages take the same pages): the sample stays small
enough to commit (about 1.3 MB) and to train on in seconds."""

_TEXT_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td"}


def data_file() -> Path:
    return REPO_ROOT / "data" / "ex15" / "helpdocs.jsonl"


@dataclass(frozen=True)
class Document:
    """One help page in one language: its id (the same in every language), entity, title and text
    (one paragraph a line)."""

    doc_id: str
    language: str
    entity: str
    title: str
    text: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass(frozen=True)
class DeadLetter:
    """A record the pipeline could not use, why, and the original line."""

    reason: str
    line: str


class _HelpPage(html.parser.HTMLParser):
    """The title and the text blocks inside `<div id="DisplayArea">`, everything else dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[str] = []
        self._in_title = False
        self._area_depth = 0
        self._skip = 0
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in ("script", "style"):
            self._skip += 1
        elif tag == "div":
            if self._area_depth or dict(attrs).get("id") == "DisplayArea":
                self._area_depth += 1
        elif self._area_depth and tag in _TEXT_TAGS and self._current is None:
            self._current = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in ("script", "style"):
            self._skip -= 1
        elif tag == "div" and self._area_depth:
            self._area_depth -= 1
        elif tag in _TEXT_TAGS and self._current is not None:
            text = " ".join("".join(self._current).split())
            if text:
                self.blocks.append(text)
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._current is not None and not self._skip:
            self._current.append(data)


def parse_page(html_text: str) -> tuple[str, list[str]]:
    """A help page's title and its text blocks."""
    page = _HelpPage()
    page.feed(html_text)
    page.close()
    return " ".join(page.title.split()), page.blocks


def extract(root: Path, modules: Iterable[str], words_per_module: int) -> Iterator[Document]:
    """Documents from an extracted help tree (`root/usr/share/libreoffice/help/<lang>/text/<module>`):
    per module, pages in path order until the English side reaches `words_per_module` words; the same
    pages in every language (so the corpus stays parallel)."""
    help_root = root / "usr" / "share" / "libreoffice" / "help"
    for module in modules:
        english = help_root / HELP_FOLDERS["en"] / "text" / module
        chosen: list[Path] = []
        words = 0
        for page in sorted(english.rglob("*.html")):
            if words >= words_per_module:
                break
            _, blocks = parse_page(page.read_text(encoding="utf-8", errors="replace"))
            words += sum(len(b.split()) for b in blocks)
            chosen.append(page.relative_to(english))
        for language in LANGUAGES:
            base = help_root / HELP_FOLDERS[language] / "text" / module
            for relative in chosen:
                path = base / relative
                if not path.is_file():
                    continue
                title, blocks = parse_page(path.read_text(encoding="utf-8", errors="replace"))
                doc_id = f"{module}/{relative.with_suffix('').as_posix()}"
                yield Document(doc_id, language, module, title, "\n".join(blocks))


def download(into: Path) -> list[Path]:
    """`apt-get download` the three help packages into `into` (Debian's own client, no install)."""
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *PACKAGES.values()], cwd=into, check=True,
                   capture_output=True, text=True)
    return sorted(into.glob("*.deb"))


def build(out: Path, modules: Iterable[str] = DEFAULT_MODULES,
          words_per_module: int = DEFAULT_WORDS_PER_MODULE, debs: Path | None = None) -> int:
    """Download (unless `debs` holds the .deb files), unpack with `dpkg -x`, extract, write JSON lines.
    Returns the number of documents written."""
    with tempfile.TemporaryDirectory(prefix="ex15-help-") as tmp:
        folder = debs or Path(tmp) / "debs"
        packages = sorted(folder.glob("*.deb")) if debs else download(folder)
        if len(packages) != len(PACKAGES):
            raise SystemExit(f"expected {len(PACKAGES)} .deb files in {folder}, found {len(packages)}")
        tree = Path(tmp) / "tree"
        for deb in packages:
            subprocess.run(["dpkg", "-x", str(deb), str(tree)], check=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        n = 0
        with out.open("w", encoding="utf-8") as f:
            for doc in extract(tree, modules, words_per_module):
                f.write(doc.to_json() + "\n")
                n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild Exercise 15's corpus from Debian's help packages")
    parser.add_argument("--out", type=Path, default=data_file())
    parser.add_argument("--modules", default=",".join(DEFAULT_MODULES))
    parser.add_argument("--words-per-module", type=int, default=DEFAULT_WORDS_PER_MODULE)
    parser.add_argument("--debs", type=Path, default=None, help="a folder with the three .deb files")
    args = parser.parse_args()
    n = build(args.out, args.modules.split(","), args.words_per_module, args.debs)
    print(f"wrote {n} documents to {args.out}")


if __name__ == "__main__":
    main()

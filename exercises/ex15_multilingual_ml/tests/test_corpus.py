"""The corpus builder's HTML extraction, on a page shaped like the LibreOffice help's, and the
committed corpus's shape (parallel pages, the four modules, MPL-2.0 provenance documented)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bootcamp.paths import REPO_ROOT
from exercises.ex15_multilingual_ml.corpus import LANGUAGES, data_file, extract, parse_page

PAGE = """<!DOCTYPE html><html lang="nl"><head><title>Menu   Opmaak</title>
<script>var x = "<p>not text</p>";</script></head><body>
<header id="TopLeftHeader"><p>LibreOffice 7.4 Help</p></header>
<aside class="leftside"><div id="Index"><input placeholder="Zoeken"></div></aside>
<div id="DisplayArea"><h1>Menu Opmaak</h1>
<p class="paragraph">Kies <span class="menuitem">Opmaak - Cellen</span>.</p>
<div class="tip"><div class="notetext"><p>Druk op Ctrl+1.</p></div></div>
<ul><li>Eerste</li></ul><table><tr><td>Cel &amp; tabel</td></tr></table></div>
<footer><p>Help ons</p></footer></body></html>"""


def test_parse_page_keeps_the_display_area_text_only() -> None:
    title, blocks = parse_page(PAGE)
    assert title == "Menu Opmaak"
    assert blocks == ["Menu Opmaak", "Kies Opmaak - Cellen.", "Druk op Ctrl+1.", "Eerste", "Cel & tabel"]


def test_extract_takes_the_same_pages_in_every_language(tmp_path: Path) -> None:
    folders = {"nl": "nl", "es": "es", "en": "en-US"}
    for language, folder in folders.items():
        for name in ("01/a.html", "01/b.html"):
            page = tmp_path / "usr/share/libreoffice/help" / folder / "text/scalc" / name
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(PAGE.replace("Opmaak", f"Opmaak-{language}"), encoding="utf-8")
    docs = list(extract(tmp_path, ["scalc"], words_per_module=5))
    assert {(d.doc_id, d.language) for d in docs} == {("scalc/01/a", lang) for lang in LANGUAGES}
    assert all(d.entity == "scalc" and "Opmaak-" + d.language in d.text for d in docs)


def test_the_committed_corpus_is_parallel_and_documented() -> None:
    docs = [json.loads(line) for line in data_file().read_text(encoding="utf-8").splitlines()]
    per_page = Counter(d["doc_id"] for d in docs)
    assert set(per_page.values()) == {3}, "every page in the three languages"
    assert {d["entity"] for d in docs} == {"scalc", "swriter", "simpress", "smath"}
    readme = (REPO_ROOT / "data" / "README.md").read_text()
    assert "MPL-2.0" in readme
    assert "libreoffice-help-nl" in readme

"""The provided tokeniser and stop-word detector on real sentences of the three languages."""

from __future__ import annotations

from exercises.ex15_multilingual_ml.text import EOS, NUM, STOP_WORDS, detect_language, sentences, tokenize


def test_tokenize_lowercases_keeps_accents_and_maps_numbers() -> None:
    assert tokenize("Kies Opmaak - Cellen (Ctrl+1) één configuración") == [
        "kies", "opmaak", "-", "cellen", "(", "ctrl", "+", NUM, ")", "één", "configuración"]
    assert sentences("First line.\n\n  \nSecond") == [["first", "line", ".", EOS], ["second", EOS]]


def test_detects_each_language_and_refuses_to_guess_on_too_little() -> None:
    dutch = "Kies Opmaak - Cellen en klik op het tabblad om de cellen op te maken."
    spanish = "Elija Formato - Celdas y pulse la pestaña para dar formato a las celdas."
    assert detect_language(dutch).language == "nl"
    assert detect_language(spanish).language == "es"
    assert detect_language("Choose Format - Cells and click the tab to format the cells.").language == "en"
    assert detect_language("LibreOffice Calc").language == "und"


def test_no_stop_word_is_in_two_lists() -> None:
    for lang, words in STOP_WORDS.items():
        for other, other_words in STOP_WORDS.items():
            if other != lang:
                assert not words & other_words, (lang, other, words & other_words)

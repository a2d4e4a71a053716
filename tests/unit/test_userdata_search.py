"""The words ``q`` and the full-text index see (``cellar.userdata.search``), the same for text and query."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cellar.odata.model import EntityModel, EntityType, KeyPart, Property
from cellar.userdata.search import MAX_TEXT, entity_text, words_of

MODEL = EntityModel("UserData", (), stores=None)  # type: ignore[arg-type]
ETYPE = EntityType("T", "UserData", (KeyPart("__id"),), (Property("__id"), Property("s")))


def test_words_are_lower_case_nfkc_and_cjk_characters_stand_alone() -> None:
    assert words_of("Walking-in_the PARK!") == "walking in the park"
    assert words_of("ＡＢＣ１２３ ｶﾀｶﾅ") == "abc123 カ タ カ ナ"
    assert words_of("東京都tokyo") == "東 京 都 tokyo"
    assert words_of("«»!? ") == ""


@given(st.text())
def test_words_are_separated_by_single_spaces_and_normalised_once(value: str) -> None:
    words = words_of(value)
    assert words == words.strip() and "  " not in words
    assert words_of(words) == words


def test_the_text_of_a_huge_entity_is_cut_between_words() -> None:
    text = entity_text(MODEL, ETYPE, "k", {"s": "abcdefg " * 100_000}, 1, 2)
    assert len(text) <= MAX_TEXT and text.startswith("k 1 2 abcdefg") and text.endswith(" abcdefg")

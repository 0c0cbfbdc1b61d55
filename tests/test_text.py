"""White-space rule and the mojibake detector."""

import pytest

from newscrawl.text import clean_lines, looks_like_mojibake, one_line, short_hash

ARABIC = "الجعفري بحث مع الأسد والمعلم التنسيق ضد داعش في دمشق"


def test_one_line_collapses_every_kind_of_space():
    assert one_line(" a\n\tb\u00a0\u2003c\u2028d  ") == "a b c d"
    assert one_line(None) == "" and one_line("   ") == ""


def test_one_line_keeps_joiners_and_bidi_marks():
    text = "می\u200cخواهم \u200fنص"
    assert one_line(text) == text


def test_clean_lines_drops_empty_lines():
    assert clean_lines(["  a ", "", " \n ", "b\nc"]) == ["a", "b c"]


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_arabic_read_with_a_latin_charset_is_mojibake(encoding):
    for source in ("utf-8", "cp1256"):
        garbled = ARABIC.encode(source).decode(encoding, errors="replace")
        assert looks_like_mojibake(garbled), (source, encoding, garbled)


def test_many_replacement_characters_are_mojibake_a_stray_one_is_not():
    assert looks_like_mojibake("\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd \ufffd\ufffd")
    assert not looks_like_mojibake("تعليق فيه رمز تالف \ufffd من الموقع نفسه")


def test_utf8_read_as_windows_1256_is_mojibake():
    garbled = ARABIC.encode("utf-8").decode("cp1256")
    assert garbled.startswith("ط§ظ„") and looks_like_mojibake(garbled)
    assert not looks_like_mojibake("ظاهرة الظلم والظلام طاغية في ضبط النظام")


@pytest.mark.parametrize(
    "text",
    [ARABIC, "Le président a déclaré à la télévision", "café é", "Über Ägypten", "UN Security Council 2015 ©", ""],
)
def test_real_text_is_not_mojibake(text):
    assert not looks_like_mojibake(text)


def test_short_hash_is_stable_and_separates_fields():
    assert short_hash("a", "b") == short_hash("a", "b")
    assert short_hash("ab", "") != short_hash("a", "b")
    assert len(short_hash("x")) == 16

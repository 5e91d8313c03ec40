"""Legacy Vietnamese font encodings (TCVN3 "ABC", VNI-Windows): examples from the spec,
font names, and properties over Vietnamese text."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from transforms.legacy_text import (VIETNAMESE_LETTERS, detect_encoding, encoding_for_font,
                                    from_tcvn3, from_vni, to_tcvn3, to_unicode, to_vni)

# The 134 letters with diacritics, built here from Unicode itself: 12 vowels x 5 tones,
# the 6 toneless modified vowels, and đ; lower and upper case.
_TONES = "\u0300\u0301\u0309\u0303\u0323"
_LOWER = sorted({unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in ("", *_TONES)}
                - set("aeiouy") | {"đ"})
LOWER, UPPER = "".join(_LOWER), "".join(c.upper() for c in _LOWER)
TCVN3_CAPITALS = "ĂÂÊÔƠƯĐ"  # the only capitals with diacritics in the normal TCVN3 fonts
OTHER = string.digits + " .,;:-/()%"


def test_tables_cover_the_134_letters_and_are_unambiguous():
    assert len(LOWER) == len(UPPER) == 67 and set(LOWER + UPPER) == VIETNAMESE_LETTERS
    tcvn3 = [to_tcvn3(c) for c in LOWER + TCVN3_CAPITALS]
    assert all(len(code) == 1 and not code.isascii() for code in tcvn3)
    assert len(set(tcvn3)) == 74
    vni = [to_vni(c) for c in LOWER + UPPER]
    assert len(set(vni)) == 134 and all(1 <= len(code) <= 2 for code in vni)


# TCVN3 strings written by hand (soft hyphen = ư), not produced by to_tcvn3.
TCVN3_EXAMPLES = [
    ("Hîp t¸c x·", "Hợp tác xã"),
    ("M\xadêng La", "Mường La"),
    ("S¬n La", "Sơn La"),
    ("ThuËn Ch©u", "Thuận Châu"),
    ("N«ng nghiÖp", "Nông nghiệp"),
    ("Th\xad¬ng m¹i - DÞch vô", "Thương mại - Dịch vụ"),
    ("§ang ho¹t ®éng", "Đang hoạt động"),
    ("Hîp t¸c x· ChÌ ChiÒng §en", "Hợp tác xã Chè Chiềng Đen"),
]


@pytest.mark.parametrize("legacy, unicode", TCVN3_EXAMPLES)
def test_tcvn3_examples(legacy, unicode):
    assert from_tcvn3(legacy) == unicode
    assert to_tcvn3(unicode) == legacy
    assert to_unicode(legacy) == (unicode, "tcvn3")
    assert to_unicode(legacy, ".VnTime") == (unicode, "tcvn3")


def test_soft_hyphen_is_u_horn_in_tcvn3():
    assert from_tcvn3("\xad") == "ư"
    assert from_tcvn3("Tr\xadêng") == "Trường"


def test_tcvn3_uppercase_fonts():
    assert from_tcvn3("HîP T¸C X·", uppercase_font=True) == "HỢP TÁC XÃ"
    assert from_tcvn3("hîp t¸c x· ®ang", uppercase_font=True) == "HỢP TÁC XÃ ĐANG"
    assert to_unicode("hîp t¸c x·", ".VnTimeH") == ("HỢP TÁC XÃ", "tcvn3")
    assert to_unicode("HîP T¸C X·") == ("HỢP TÁC XÃ", "tcvn3")  # no font: all-caps typing


VNI_EXAMPLES = [
    ("chaøo", "chào"),
    ("Hôïp taùc xaõ", "Hợp tác xã"),
    ("Möôøng La", "Mường La"),
    ("Thöông maïi - Dòch vuï", "Thương mại - Dịch vụ"),
    ("Ñang hoaït ñoäng", "Đang hoạt động"),
    ("HÔÏP TAÙC XAÕ CHEØ CHIEÀNG ÑEN", "HỢP TÁC XÃ CHÈ CHIỀNG ĐEN"),
    # no character foreign to Vietnamese, but no Vietnamese word as they stand either:
    ("Coù", "Có"), ("Khoâng", "Không"), ("taùc xaõ", "tác xã"),
]


@pytest.mark.parametrize("legacy, unicode", VNI_EXAMPLES)
def test_vni_examples(legacy, unicode):
    assert from_vni(legacy) == unicode
    assert to_vni(unicode) == legacy
    assert to_unicode(legacy) == (unicode, "vni")
    assert to_unicode(legacy, "VNI-Times") == (unicode, "vni")


@pytest.mark.parametrize("text", [
    "", "©", "®", "§ 3", "TM®", "Müller", "Zoë", "naïve", "Señor", "Köln", "«Hello»",
    "Hợp tác xã", unicodedata.normalize("NFD", "Hợp tác xã Chè Chiềng Đen"), "Cà phê Müller",
    "Cooperative", "Có", "1.234,5", "HTX-014", "2023Q1", "25°C", "2×3",
    "Hoà Bình", "Khánh Hòa", "Thái", "Quý", "Thuý", "Hóa",  # Unicode, Latin-1 letters only
    "Cã",  # TCVN3 'Có' that is also the plausible Unicode 'cã'
    "æn",  # VNI 'ỉn' or TCVN3 'ổn'
])
def test_text_that_is_not_converted_without_a_font(text):
    assert detect_encoding(text) is None
    assert to_unicode(text) == (text, None)


@pytest.mark.parametrize("font, expected", [
    (".VnTime", ("tcvn3", False)), (".VnTimeH", ("tcvn3", True)),
    (".VnArial", ("tcvn3", False)), (".VnArialH", ("tcvn3", True)),
    (".vntime", ("tcvn3", False)), (" .VnArial NarrowH ", ("tcvn3", True)),
    ("VNI-Times", ("vni", False)), ("VNI-Helve", ("vni", False)), ("vni-times", ("vni", False)),
    ("Times New Roman", None), ("Arial", None), ("", None), (None, None),
])
def test_encoding_for_font(font, expected):
    assert encoding_for_font(font) == expected


def test_the_font_wins_over_content():
    assert to_unicode("taùc xaõ", "VNI-Times") == ("tác xã", "vni")
    assert to_unicode("Sôn La", "VNI-Helve") == ("Sơn La", "vni")
    assert to_unicode("x·", ".VnTime") == ("xã", "tcvn3")
    assert to_unicode("æn", ".VnTime") == ("ổn", "tcvn3")  # ambiguous without the font
    assert to_unicode("æn", "VNI-Times") == ("ỉn", "vni")
    assert to_unicode("chaøo", "Arial") == ("chào", "vni")  # a non-legacy font: content decides


def test_unicode_and_ascii_are_left_alone_whatever_the_font():
    assert to_unicode("Hợp tác xã", ".VnTime") == ("Hợp tác xã", None)
    assert to_unicode("Nông nghiệp", "VNI-Times") == ("Nông nghiệp", None)
    assert to_unicode("HTX abc 123", ".VnTimeH") == ("HTX abc 123", None)


# ---- properties --------------------------------------------------------------------

def texts(letters: str) -> st.SearchStrategy[str]:
    return st.text(alphabet=letters + OTHER, max_size=40)


@given(texts(LOWER + UPPER + string.ascii_letters))
def test_vni_round_trip(text):
    assert from_vni(to_vni(text)) == text


@given(texts(LOWER + TCVN3_CAPITALS + string.ascii_letters))
def test_tcvn3_round_trip_normal_font(text):
    assert from_tcvn3(to_tcvn3(text)) == text


@given(texts(UPPER + string.ascii_uppercase))
def test_tcvn3_round_trip_uppercase_font(text):
    assert from_tcvn3(to_tcvn3(text), uppercase_font=True) == text


BEYOND_LATIN1 = "".join(c for c in LOWER + UPPER if ord(c) > 0xFF)


@given(texts(LOWER + UPPER + string.ascii_letters), st.sampled_from(BEYOND_LATIN1),
       st.sampled_from(["NFC", "NFD"]))
def test_text_with_a_letter_beyond_latin1_is_never_converted(text, letter, form):
    """Any string at all, once it holds one of ă đ ĩ ũ ơ ư ạ ... ỹ (or is NFD)."""
    text = unicodedata.normalize(form, text + letter)
    assert to_unicode(text) == (text, None)
    assert to_unicode(text, ".VnTime") == to_unicode(text, "VNI-Times") == (text, None)


@given(st.text(alphabet=string.printable))
def test_ascii_is_never_converted(text):
    assert to_unicode(text) == (text, None)


# Vietnamese-shaped words: onset + rhyme + one tone, as typed in real cells.
ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
          "ngh", "nh", "p", "ph", "qu", "s", "t", "th", "tr", "v", "x"]
RHYMES = ["a", "ac", "ach", "am", "an", "ang", "anh", "ap", "at", "ai", "ao", "au", "ay", "ăn",
          "ăng", "ăc", "ât", "âm", "âu", "ây", "e", "en", "eo", "ec", "ê", "ên", "ênh", "êu", "i",
          "in", "inh", "ia", "iu", "iêng", "iêt", "iêu", "o", "on", "ong", "oc", "oi", "oa",
          "oan", "oang", "oai", "oay", "oe", "ô", "ông", "ôi", "ôc", "ơ", "ơn", "ơi", "ơp", "u",
          "un", "ung", "ut", "ui", "ua", "uân", "uê", "uy", "uyên", "uynh", "uôi", "uông", "ư",
          "ưng", "ưa", "ưi", "ương", "ươc", "ươi", "y", "yên", "yêu"]


def syllable(onset: str, rhyme: str, tone: int) -> str:
    """Put the tone on the modified vowel (ă â ê ô ơ ư), else on the rhyme's first vowel."""
    vowels = [i for i, c in enumerate(rhyme) if c in "aăâeêioôơuưy"]
    modified = [i for i in vowels if rhyme[i] in "ăâêôơư"]
    at = (modified or vowels)[-1 if modified else 0]
    marked = rhyme[:at + 1] + ("", *_TONES)[tone] + rhyme[at + 1:]
    return unicodedata.normalize("NFC", onset + marked)


words = st.builds(syllable, st.sampled_from(ONSETS), st.sampled_from(RHYMES), st.integers(0, 5))
phrases = st.lists(words, min_size=1, max_size=8).map(" ".join)


LEGACY = {"tcvn3": (to_tcvn3, from_tcvn3), "vni": (to_vni, from_vni)}
CASES = {"tcvn3": [str.lower, str.upper], "vni": [str.lower, str.title, str.upper]}
legacy_phrases = st.sampled_from(["tcvn3", "vni"]).flatmap(lambda enc: st.tuples(
    st.just(enc), phrases, st.sampled_from(CASES[enc])))


def other(encoding: str) -> str:
    return "vni" if encoding == "tcvn3" else "tcvn3"


def foreign(text: str) -> bool:
    """Holds a character that is neither ASCII nor a Vietnamese letter (e.g. '¸', 'ø', '\xad')."""
    return any(not c.isascii() and c not in VIETNAMESE_LETTERS for c in text)


def tones(text: str) -> int:
    return sum(c in _TONES for c in unicodedata.normalize("NFD", text))


def unambiguous(word: str, encoding: str) -> bool:
    """A telltale word (an ASCII letter and a foreign character: it cannot be Unicode
    Vietnamese) that cannot be read in the other encoding either: read that way it keeps a
    foreign character (TCVN3 't¸c' as VNI) or gets two tone marks (VNI 'hôïp' as TCVN3)."""
    misread = LEGACY[other(encoding)][1](word)
    return (any(c.isascii() for c in word) and foreign(word)
            and (foreign(misread) or tones(misread) > 1))


@given(legacy_phrases)
def test_legacy_text_is_converted_right_or_left_alone(case):
    """Never a wrong conversion: a word such as VNI 'æn' ('ỉn') is also TCVN3 'æn' ('ổn'),
    and text made only of such words is left alone."""
    encoding, text, cased = case
    legacy = LEGACY[encoding][0](cased(text))
    assert to_unicode(legacy) in {(cased(text), encoding), (legacy, None)}


@given(legacy_phrases)
def test_text_with_an_unambiguous_word_is_converted_back(case):
    encoding, text, cased = case
    legacy = LEGACY[encoding][0](cased(text))
    assume(any(unambiguous(w, encoding) for w in legacy.split()))
    assert to_unicode(legacy) == (cased(text), encoding)


@given(phrases, st.sampled_from([str.lower, str.title, str.upper]),
       st.sampled_from(["NFC", "NFD"]))
def test_vietnamese_words_are_never_converted(text, case, form):
    """Real Vietnamese words, including those written with Latin-1 letters only ('Hoà Bình')."""
    text = unicodedata.normalize(form, case(text))
    assert to_unicode(text) == (text, None)


latin1 = "".join(chr(i) for i in range(0xA1, 0x100))


@given(st.one_of(
    st.text(alphabet=latin1 + string.ascii_letters + " ", max_size=30),
    st.text(alphabet=LOWER + UPPER + latin1 + string.ascii_letters + " ", max_size=30),
    phrases.map(to_vni), phrases.map(to_tcvn3), phrases.map(str.upper).map(to_tcvn3),
))
def test_to_unicode_is_idempotent(text):
    once = to_unicode(text)[0]
    assert to_unicode(once)[0] == once

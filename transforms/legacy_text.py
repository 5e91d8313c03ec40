"""Legacy Vietnamese font encodings (TCVN3 "ABC" and VNI-Windows) to Unicode, and back.

Districts still type in 8-bit fonts: the cell holds Latin-1 characters that only the font
draws as Vietnamese. In TCVN3 (fonts .VnTime, .VnArial, ...) each Vietnamese letter is one
character ("Hợp tác xã" is "Hîp t¸c x·", "ư" is the soft hyphen U+00AD). The normal fonts
have no upper-case letters with tone marks: upper-case text is typed in the "H" fonts
(.VnTimeH, .VnArialH), which draw every code as the upper-case letter. In VNI-Windows (fonts
VNI-Times, VNI-Helve, ...) a letter is a base letter followed by one Latin-1 character for
its diacritics ("chào" is "chaøo"); ơ, ư, đ and i/ỵ with tones are single characters.

Tables (all 134 letters with diacritics) were checked against, and agree with:
- GNU libc iconv "TCVN5712-1" (run locally on bytes 0xA0-0xFF): the TCVN3 lower-case block
  and the seven capitals Ă Â Ê Ô Ơ Ư Đ at 0xA1-0xA7. Its capitals with tones in the gaps
  of that block (0xAF, 0xBA, 0xC0 ...) belong to the VN1 variant of TCVN 5712, not to the
  VN3 subset the ABC fonts implement, and are not mapped;
- lamdao/xvnkb, tcvn.h and vni.h (Dao Hai Lam, 2002): TCVN3 lower case and VNI, both cases;
- duydev/vietnamese-conversion, src/charsets.ts: VNI both cases, TCVN3 lower case (it writes
  toned capitals as capital + lower-case code, a converter convention we do not follow);
- backupvietsoft/HRM, ConvertVNI/XtraForm1.cs: TCVN3 lower case and the seven capitals.
"""

from __future__ import annotations

import re
import unicodedata

ENCODINGS = ("tcvn3", "vni")


def _pairs(table: str) -> dict[str, str]:
    """'à µ  á ¸ ...' -> {'à': 'µ', 'á': '¸', ...}: a Unicode letter, then its legacy form."""
    items = table.split()
    return dict(zip(items[0::2], items[1::2], strict=True))


# Unicode lower-case letter -> TCVN3 code. Each row: the toneless letter (when not ASCII),
# then grave, acute, hook above, tilde, dot below.
_TCVN3_LOWER = _pairs("""
    à µ  á ¸  ả ¶  ã ·  ạ ¹
    ă ¨  ằ »  ắ ¾  ẳ ¼  ẵ ½  ặ Æ
    â ©  ầ Ç  ấ Ê  ẩ È  ẫ É  ậ Ë
    è Ì  é Ð  ẻ Î  ẽ Ï  ẹ Ñ
    ê ª  ề Ò  ế Õ  ể Ó  ễ Ô  ệ Ö
    ì ×  í Ý  ỉ Ø  ĩ Ü  ị Þ
    ò ß  ó ã  ỏ á  õ â  ọ ä
    ô «  ồ å  ố è  ổ æ  ỗ ç  ộ é
    ơ ¬  ờ ê  ớ í  ở ë  ỡ ì  ợ î
    ù ï  ú ó  ủ ñ  ũ ò  ụ ô
    ư \xad  ừ õ  ứ ø  ử ö  ữ ÷  ự ù
    ỳ ú  ý ý  ỷ û  ỹ ü  ỵ þ
    đ ®
""")
# The only capitals with diacritics the normal (non-"H") TCVN3 fonts have.
_TCVN3_CAPITALS = _pairs("Ă ¡  Â ¢  Ê £  Ô ¤  Ơ ¥  Ư ¦  Đ §")

# Unicode lower-case letter -> VNI-Windows; upper case is both sides' str.upper().
_VNI_LOWER = _pairs("""
    à aø  á aù  ả aû  ã aõ  ạ aï
    ă aê  ằ aè  ắ aé  ẳ aú  ẵ aü  ặ aë
    â aâ  ầ aà  ấ aá  ẩ aå  ẫ aã  ậ aä
    è eø  é eù  ẻ eû  ẽ eõ  ẹ eï
    ê eâ  ề eà  ế eá  ể eå  ễ eã  ệ eä
    ì ì   í í   ỉ æ   ĩ ó   ị ò
    ò oø  ó où  ỏ oû  õ oõ  ọ oï
    ô oâ  ồ oà  ố oá  ổ oå  ỗ oã  ộ oä
    ơ ô   ờ ôø  ớ ôù  ở ôû  ỡ ôõ  ợ ôï
    ù uø  ú uù  ủ uû  ũ uõ  ụ uï
    ư ö   ừ öø  ứ öù  ử öû  ữ öõ  ự öï
    ỳ yø  ý yù  ỷ yû  ỹ yõ  ỵ î
    đ ñ
""")

#: The 134 Vietnamese letters with diacritics (67 lower case, 67 upper case), NFC.
VIETNAMESE_LETTERS = frozenset(_VNI_LOWER) | {c.upper() for c in _VNI_LOWER}

_TO_TCVN3 = str.maketrans({**{c.upper(): code for c, code in _TCVN3_LOWER.items()},
                           **_TCVN3_CAPITALS, **_TCVN3_LOWER})
_FROM_TCVN3 = {code: c for c, code in (_TCVN3_LOWER | _TCVN3_CAPITALS).items()}
_FROM_TCVN3_TABLE = str.maketrans(_FROM_TCVN3)
_TO_VNI = _VNI_LOWER | {c.upper(): v.upper() for c, v in _VNI_LOWER.items()}
_FROM_VNI = {v: c for c, v in _TO_VNI.items()}
_TO_VNI_TABLE = str.maketrans(_TO_VNI)
_VNI_CODE = re.compile("|".join(map(re.escape, sorted(_FROM_VNI, key=len, reverse=True))))


def from_tcvn3(text: str, uppercase_font: bool = False) -> str:
    """TCVN3 text to Unicode; `uppercase_font` for the "H" fonts, which draw every letter
    upper case.

    >>> from_tcvn3("Hîp t¸c x·"), from_tcvn3("hîp t¸c x·", uppercase_font=True)
    ('Hợp tác xã', 'HỢP TÁC XÃ')
    """
    out = text.translate(_FROM_TCVN3_TABLE)
    return _upper(out) if uppercase_font else out


def from_vni(text: str) -> str:
    """VNI-Windows text to Unicode: 'chaøo' -> 'chào'."""
    return _VNI_CODE.sub(lambda m: _FROM_VNI[m.group()], text)


def to_tcvn3(text: str) -> str:
    """Unicode to TCVN3 as typed in the normal fonts: a capital with a tone mark becomes the
    lower-case code (what a typist gets in .VnTime, and upper case again in .VnTimeH)."""
    return unicodedata.normalize("NFC", text).translate(_TO_TCVN3)


def to_vni(text: str) -> str:
    """Unicode to VNI-Windows: 'chào' -> 'chaøo'."""
    return unicodedata.normalize("NFC", text).translate(_TO_VNI_TABLE)


def _upper(text: str) -> str:
    """Upper case, character by character (never 'ß' -> 'SS')."""
    return "".join(u if len(u := ch.upper()) == 1 else ch for ch in text)


# ---- content detection -------------------------------------------------------------
#
# Heuristic. A legacy cell holds only Latin-1; proper Unicode Vietnamese shows itself by
# letters beyond Latin-1 (ă đ ĩ ũ ơ ư ạ ... ế ...) or combining marks, and is never touched.
# Otherwise the text is split into words (runs of ASCII letters, Latin-1 letters and legacy
# codes); ASCII words read the same in every encoding and are skipped. Each other word is
# judged as it stands and decoded with each encoding (`_judge`):
#   - foreign: a letter that is not Vietnamese is left ('ü' of 'Müller' read as VNI);
#   - neutral: no vowel ('§VT' -> 'ĐVT');
#   - plausible: one Vietnamese syllable: onset + vowel nucleus + final consonant
#     (`_SYLLABLE`), at most one tone mark, placed on a vowel where spelling puts it
#     (`_tone_in_place`); implausible otherwise. The rare loanword nucleus "oo" (xoong) is
#     left out: with it VNI "Khoâng" (Không) would also read as TCVN3 "Khoõng".
# An encoding is ruled out as soon as one word decodes to a foreign or implausible word
# (so a cell with a typo or a foreign word is left for the font to decide). Evidence for it
# is a word with an ASCII letter that is not Vietnamese as it stands (foreign or
# implausible: 'Hîp', 'taùc', 'Khoâng') but decodes to a plausible syllable (so 'TM®',
# which decodes to the vowel-less 'TMđ', is no evidence). The encoding
# with evidence is chosen; both with the same amount of evidence means None.
# Thresholds: 1 piece of evidence, 0 implausible words. Why this is safe: text made of real
# Vietnamese words (or of anything with a letter beyond Latin-1) has no evidence; after a
# conversion every non-ASCII word is plausible, so a second pass finds none (idempotent).
# Known limits: a word that reads as Vietnamese in both encodings (VNI 'æn' = 'ỉn', TCVN3
# 'æn' = 'ổn') or already reads as Unicode (TCVN3 'Cã' for 'Có', a plausible 'cã') is no
# evidence, so a cell made only of such words is left alone; one foreign word can be misread
# ('coût' as VNI 'cỏt', French 'où' as VNI 'ó'); a random Latin-1 string of Vietnamese
# letters such as 'aù' is read as VNI; TCVN3 typed under a Vietnamese (cp1258) Windows code
# page is not recognised. Only the cell's font makes these certain.

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VIET_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz") | {c for c in VIETNAMESE_LETTERS
                                                            if c.islower()}
_VOWELS = frozenset("aăâeêioôơuưy")
_ONSET = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bdkp][lr]|[bcdđfghjklmnpqrstvwxz]"
_OPEN = ("iêu|yêu|oai|oao|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|ai|ao|au|ay|âu|ây|eo|êu|ia|iu|"
         "oi|ôi|ơi|ua|ui|ưa|ưi|ưu|uơ|y")  # nuclei that take no final consonant
_CLOSABLE = "uyê|iê|yê|oa|oă|oe|uâ|uê|uô|uy|ươ|[aăâeêioôơuư]"
_SYLLABLE = re.compile(f"(?:{_ONSET})?(?:{_OPEN}|(?:{_CLOSABLE})(?:ch|ng|nh|[ckmnpt])?)")

_CODES = {"tcvn3": frozenset(_FROM_TCVN3), "vni": frozenset("".join(_FROM_VNI))}
_LATIN1_LETTERS = {chr(i) for i in range(0xA1, 0x100) if chr(i).isalpha()}
_WORD = re.compile("[A-Za-z{}]+".format(re.escape("".join(sorted(
    _CODES["tcvn3"] | _CODES["vni"] | _LATIN1_LETTERS)))))
_DECODERS = {"tcvn3": from_tcvn3, "vni": from_vni}


def is_unicode_vietnamese(text: str) -> bool:
    """True when the text holds a Vietnamese letter beyond Latin-1 or a combining mark:
    no legacy font could have produced it."""
    return any(ord(ch) > 0xFF and (ch in VIETNAMESE_LETTERS or unicodedata.combining(ch))
               for ch in text)


def _judge(word: str) -> str:
    """'foreign', 'neutral', 'plausible' or 'implausible': is `word` a Vietnamese syllable?"""
    w = word.lower()
    if not set(w) <= _VIET_ALPHABET:
        return "foreign"
    decomposed = unicodedata.normalize("NFD", w)
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    if not set(bare) & _VOWELS:
        return "neutral"
    tones = [i for i, c in enumerate(w) if set(unicodedata.normalize("NFD", c)) & _TONE_MARKS]
    if len(tones) > 1 or not _SYLLABLE.fullmatch(bare):
        return "implausible"
    return "plausible" if not tones or _tone_in_place(bare, tones[0]) else "implausible"


def _tone_in_place(bare: str, at: int) -> bool:
    """Whether a tone on bare[at] is where Vietnamese spelling puts it (old or new style):
    on the vowel with ^, ˘ or horn if there is one, and never on the closing i/o/u/y of an
    open syllable ('tay' is 'táy' or 'tày', never 'taý'; 'thuý' and 'thúy' are both fine)."""
    start = 2 if bare[:2] in ("gi", "qu") and bare[2:3] in _VOWELS else 0
    run = re.search(f"[{''.join(_VOWELS)}]+", bare[start:])
    if run is None or not run.start() + start <= at < run.end() + start:
        return True
    nucleus, pos = run.group(), at - start - run.start()
    if set(nucleus) & set("ăâêôơư") and nucleus[pos] not in "ăâêôơư":
        return False
    is_open, last = run.end() + start == len(bare), pos == len(nucleus) - 1
    return not (is_open and last and len(nucleus) > 1 and nucleus[pos] in "iouy"
                and nucleus[-2:] != "uy")


def _evidence(text: str, encoding: str) -> int | None:
    """How many words are evidence for `encoding`; None if a word rules it out."""
    evidence = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        decoded = _DECODERS[encoding](word)
        verdict = _judge(decoded)
        if verdict in ("foreign", "implausible"):
            return None
        evidence += (verdict == "plausible" and decoded != word
                     and any(c.isascii() for c in word)
                     and _judge(word) in ("foreign", "implausible"))
    return evidence


def detect_encoding(text: str) -> str | None:
    """'tcvn3', 'vni' or None (Unicode, ASCII, or not sure) from the text alone."""
    if not text or text.isascii() or is_unicode_vietnamese(text):
        return None
    tcvn3, vni = (_evidence(text, enc) or 0 for enc in ENCODINGS)
    return None if tcvn3 == vni else "tcvn3" if tcvn3 > vni else "vni"


def encoding_for_font(font_name: str | None) -> tuple[str, bool] | None:
    """(encoding, uppercase_font) named by a cell's font: '.VnTime' -> ('tcvn3', False),
    '.VnTimeH' -> ('tcvn3', True), 'VNI-Times' -> ('vni', False); other fonts -> None."""
    name = (font_name or "").strip()
    if name.lower().startswith(".vn"):
        return "tcvn3", name.endswith("H")
    if name.lower().startswith("vni-"):
        return "vni", False
    return None


def to_unicode(text: str, font_name: str | None = None) -> tuple[str, str | None]:
    """(NFC Unicode text, encoding used) for a cell's text; (text, None) when unchanged.

    A legacy font name decides the encoding; otherwise `detect_encoding` does, and TCVN3
    text without lower-case ASCII letters is read as typed in an "H" font. Text that is
    evidently Unicode (`is_unicode_vietnamese`) is never converted, whatever the font.
    """
    if not text or is_unicode_vietnamese(text):
        return text, None
    named = encoding_for_font(font_name)
    encoding, upper = named or (detect_encoding(text), _all_caps(text))
    if encoding is None:
        return text, None
    plain = _DECODERS[encoding](text)
    if plain == text:
        return text, None
    out = _upper(plain) if encoding == "tcvn3" and upper else plain
    return unicodedata.normalize("NFC", out), encoding


def _all_caps(text: str) -> bool:
    ascii_letters = [c for c in text if c.isascii() and c.isalpha()]
    return bool(ascii_letters) and all(c.isupper() for c in ascii_letters)

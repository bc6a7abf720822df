"""Search keys of a Chinese name: full pinyin without tones or spaces, and its initials.

李建国 → ("lijianguo", "ljg"). A character with several readings takes pypinyin's usual one
(its phrase dictionary, no heteronyms), except the first character of a name, which takes its
reading as a surname when that differs (曾 zeng, 单 shan, 解 xie, 仇 qiu ...): reps type the name
as they say it. Latin letters and digits are kept (lower case); anything else is dropped.
"""

import functools
import re

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common one.
SURNAMES = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "乐": "yue",
    "种": "chong",
    "员": "yun",
    "召": "shao",
    "秘": "bi",
    "卜": "bu",
    "句": "gou",
    "折": "she",
    "柏": "bai",
    "薄": "bo",
    "阚": "kan",
    "隗": "wei",
    "逄": "pang",
    "繁": "po",
    "尉": "yu",
    "宓": "mi",
    "万": "wan",
    "长": "chang",
    "重": "chong",
}

_WORD = re.compile(r"[a-z0-9]+")
MAX_KEY = 600  # 100 characters of name × the longest syllable (6 letters)


@functools.lru_cache(maxsize=65536)
def search_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of `name`, lower case, without tones, spaces or punctuation.
    Cached by name: an import computes the keys of 100,000 names, many of them alike."""
    name = (name or "").strip()
    if not name:
        return "", ""
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    if name[0] in SURNAMES and syllables and len(name) > 1:
        first = syllables[0]
        # pypinyin returns one syllable per Chinese character: replace that of the surname.
        if first.isalpha() and first.isascii():
            syllables[0] = SURNAMES[name[0]]
    full, initials = [], []
    for syllable in syllables:
        for word in _WORD.findall(syllable.lower()):
            full.append(word)
            initials.append(word[0])
    return "".join(full)[:MAX_KEY], "".join(initials)[:100]


def query_key(text: str) -> str:
    """What a typed query compares with the keys: lower-case Latin letters and digits only."""
    return "".join(_WORD.findall((text or "").lower()))

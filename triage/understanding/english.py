"""English words for retrieval: stop words, a light stemmer, and synonyms matched on stems.

The stemmer is deliberately small (no library): residents' English is short and informal, and
what matters is that a question and an entry land on the same token, not that the token is a
real word. plugged/plugging/plugs/plug → plug, batteries → battery, charging/charge → charg,
caught → catch, neighbour → neighbor. Synonyms are matched after stemming, so one line in the
synonyms file covers every inflection ("scooter" also catches "scooters").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

WORDS = re.compile(r"[a-z0-9]+")

# Function words, contraction pieces ("doesn't" arrives as "doesn" and "t") and chat filler
# that say nothing about which entry is meant.
STOPWORDS = frozenset(
    """a an the and or but if so of to in on at by for from with about into onto over under up down
    out off is are was were be been being am do does did doing done have has had having i me my
    mine we us our ours you your yours he him his she her it its they them their this that these
    those there here what which who whom whose when where why how can could should would will
    shall may might must not no yes just very really too also then than as any some all theres
    its im ive id ill youre thats whats dont doesnt didnt isnt arent wasnt cant wont couldnt
    shouldnt wouldnt s t d m ll ve re doesn don didn isn aren wasn weren won couldn shouldn wouldn
    pls please hi hello hey thanks thank ok okay guy guys get gets got go goes going gone went one
    thing things something anything someone anyone everyone everything need want like know tell
    say let lot lots bit actually still ever even much many more during while because lol btw
    every right now again already always usually sometimes kind sort stuff""".split()
)

# Irregular forms a suffix rule cannot reach; the result is stemmed like any other word.
IRREGULAR = {
    "caught": "catch",
    "burnt": "burn",
    "swollen": "swell",
    "swelled": "swell",
    "stolen": "steal",
    "broke": "break",
    "broken": "break",
    "lit": "light",
    "fell": "fall",
    "fallen": "fall",
    "took": "take",
    "taken": "take",
    "ran": "run",
    "bought": "buy",
    "made": "make",
    "paid": "pay",
    "laid": "lay",
    "hid": "hide",
    "hidden": "hide",
    "spilt": "spill",
    "dealt": "deal",
    "threw": "throw",
    "thrown": "throw",
    "blew": "blow",
    "blown": "blow",
    "froze": "freeze",
    "frozen": "freeze",
    "kept": "keep",
    "left": "leave",
    "slept": "sleep",
    "felt": "feel",
    "built": "build",
    "told": "tell",
    "sold": "sell",
    "worn": "wear",
    "wore": "wear",
    "torn": "tear",
    "driven": "drive",
    "drove": "drive",
    "ridden": "ride",
    "rode": "ride",
    "saw": "see",
    "seen": "see",
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "knives": "knife",
    "wives": "wife",
}
_UNDOUBLE = set("bgmnprt")  # plugged → plugg → plug, but stuffed → stuff, filled → fill
_VOWEL = re.compile(r"[aeiouy]")


def stem(word: str) -> str:
    """The word's stem: irregular forms mapped, then plural, verb and adverb endings cut."""
    word = IRREGULAR.get(word, word)
    if len(word) <= 2 or not word.isalpha():
        return word
    word = _spelling(_verb(_plural(word)))
    if word.endswith("ely"):  # safely → safe
        word = word[:-2]
    elif word.endswith("ly") and len(word) > 5 and word[-3] in "stkdnr":  # properly → proper
        word = word[:-2]
    if word.endswith("ous") and len(word) > 6:  # dangerous → danger
        word = word[:-3]
    if word.endswith("e") and len(word) >= 3:  # charge = charg(ing), smoke = smok(ing)
        word = word[:-1]
    return word


def _plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _verb(word: str) -> str:
    if word.endswith("ied") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        base = word[: -len(suffix)]
        if not word.endswith(suffix) or word.endswith("eed") or len(base) < 2:
            continue
        if not _VOWEL.search(base):  # ring, bring, thing, red, shed keep their ending
            return word
        if len(base) > 3 and base[-1] == base[-2] and base[-1] in _UNDOUBLE:
            base = base[:-1]
        return base
    return word


def _spelling(word: str) -> str:
    """British and American spellings meet: neighbour → neighbor, centre → center."""
    if word.endswith("our") and len(word) >= 6:
        return word[:-3] + "or"
    if word.endswith(("tre", "bre")) and len(word) >= 5:
        return word[:-2] + "er"
    return word


class Phrases:
    """Synonyms on stems: each form (one or more words) → its canonical word's stems."""

    def __init__(self, synonyms: Mapping[str, str]) -> None:
        self.table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for form, canonical in synonyms.items():
            key = tuple(stem(w) for w in WORDS.findall(form))
            value = tuple(stem(w) for w in WORDS.findall(canonical) if w not in STOPWORDS)
            if key:
                self.table.setdefault(key, value)
        self.longest = max((len(k) for k in self.table), default=0)

    def tokens(self, words: Iterable[str]) -> list[str]:
        """Stemmed words with synonyms replaced (longest form first) and stop words dropped."""
        words = list(words)
        stems = [stem(w) for w in words]
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                canonical = self.table.get(tuple(stems[i : i + n]))
                if canonical is not None:
                    out.extend(canonical)
                    i += n
                    break
            else:
                if words[i] not in STOPWORDS:
                    out.append(stems[i])
                i += 1
        return out

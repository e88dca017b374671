"""Label a resident's message with the triage taxonomy (DESIGN.md, "Triage taxonomy").

A rule-and-lexicon classifier: deterministic, offline, stdlib only, and able to say
which words decided (`cues`). The order of the rules carries the policy:

1. emergency first, and generously: a false alarm costs a phone call, a miss costs lives;
   only a past fire, a drill, a hypothetical or a generic "what to do if…" stands it down;
2. feedback when the resident judges the service (or thanks us for a fixed hazard);
3. hazard when a category scores HAZARD_THRESHOLD, even phrased as a question, as long as
   something anchors it to a real place or habit ("我们楼天天有");
4. question when the resident asks about fire safety or the service;
5. out_of_scope for everything else, to be sent to the 12345 hotline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from triage.understanding import lexicon as lx
from triage.understanding import severity as definition
from triage.understanding.model import TriageModel, shipped
from triage.understanding.needed_chars import Searches
from triage.understanding.normalise import normalise as plain_form
from triage.understanding.taxonomy import Category, Kind, Severity

# Long messages keep their head and tail: a report's story is up front, a shout for help
# often at the end. Capping keeps a 5,000-character paste as fast as a short message.
HEAD_CHARS = 800
TAIL_CHARS = 200
CUE_CHARS = 24
# Cues the model's view adds (see combine): its reading, an emergency it raised, and a
# possible hazard the rules would not report (doubt.unsure asks about those).
MODEL = "model"
MODEL_EMERGENCY = "model:emergency-raised"
POSSIBLE_HAZARD = "model:possible-hazard"
# A thing's state asked back about ("灭火器箱里只剩空瓶子吗"): the resident is asked what it is.
ASKED_STATE = "asked-state"


@dataclass(frozen=True)
class Classification:
    kind: Kind
    category: Category | None
    severity: Severity | None
    cues: tuple[str, ...]
    language: str

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": str(self.kind),
            "category": None if self.category is None else str(self.category),
            "severity": None if self.severity is None else str(self.severity),
            "cues": list(self.cues),
            "language": self.language,
        }


class _Group:
    """Several patterns searched as one regex; reports the first hit."""

    def __init__(self, patterns: list[str]):
        self._regex = re.compile("|".join(f"(?:{p})" for p in patterns))

    def first(self, text: str) -> str | None:
        match = self._regex.search(text)
        return match.group(0) if match else None

    def all(self, text: str) -> list[str]:
        return [m.group(0) for m in self._regex.finditer(text)]


@dataclass(frozen=True)
class _Lexicon:
    false_friends: re.Pattern[str]
    negated_fire: re.Pattern[str]
    groups: dict[str, _Group]
    category_rules: tuple[tuple[Category, re.Pattern[str], int], ...]  # terms, then combos
    category_searches: Searches  # of category_rules' regexes
    severity_rules: tuple[tuple[Category | None, re.Pattern[str], Severity], ...]
    out_of_scope: tuple[tuple[re.Pattern[str], int], ...]


@cache
def _lexicon() -> _Lexicon:
    """Compile the lexicon once per process."""
    terms = tuple(
        (category, re.compile(pattern), weight)
        for category, group in lx.CATEGORY_TERMS.items()
        for pattern, weight in group
    )
    combos = tuple(
        (category, re.compile(pattern), weight) for category, pattern, weight in lx.CATEGORY_COMBOS
    )
    groups = {
        name: _Group(patterns)
        for name, patterns in {
            "strong": lx.EMERGENCY_STRONG,
            "medium": lx.EMERGENCY_MEDIUM,
            "past": lx.PAST,
            "present": lx.PRESENT,
            "habitual": lx.HABITUAL,
            "drill": lx.DRILL,
            "hypothetical": lx.HYPOTHETICAL,
            "spreading": lx.SPREADING,
            "work_sparks": lx.WORK_SPARKS,
            "whenever": lx.WHENEVER,
            "observed": lx.OBSERVED,
            "earlier_report": lx.EARLIER_REPORT,
            "safety_topic": lx.SAFETY_TOPIC,
            "report_anchor": lx.REPORT_ANCHOR,
            "asked_state": lx.ASKED_STATE,
            # "now" next to the fire words: "昨天着火了，现在还在冒烟" is burning again.
            "present_fire": lx.PRESENT_FIRE,
            "advice": lx.ADVICE,
            "urgency": lx.URGENCY,
            "cry": lx.CRY,
            "anchor_place": lx.EMERGENCY_ANCHOR,
            "anchor_object": lx.EMERGENCY_OBJECT,
            "question": lx.QUESTION_FORM,
            "self": lx.SELF_DIRECTED,
            "fire_topic": lx.FIRE_TOPIC,
            "service_topic": lx.SERVICE_TOPIC,
            "sentiment": lx.FEEDBACK_SENTIMENT,
            "service": lx.FEEDBACK_SERVICE,
            "resolved": lx.RESOLVED_HAZARD,
            "meta": lx.META_TALK,
        }.items()
    }
    return _Lexicon(
        false_friends=re.compile("|".join(f"(?:{p})" for p in lx.FALSE_FRIENDS)),
        negated_fire=re.compile("|".join(f"(?:{p})" for p in lx.NEGATED_FIRE)),
        groups=groups,
        category_rules=terms + combos,
        category_searches=Searches([regex for _, regex, _ in terms + combos]),
        severity_rules=tuple(
            (category, re.compile(pattern), severity)
            for category, pattern, severity in lx.SEVERITY_RULES
        ),
        out_of_scope=tuple((re.compile(p), w) for p, w in lx.OUT_OF_SCOPE_TERMS),
    )


def _short(text: str) -> str:
    return text.strip()[:CUE_CHARS]


# ---------------------------------------------------------------- reading the text


def detect_language(text: str) -> str:
    """Return "zh" unless English words clearly outnumber Chinese characters.

    Two characters carry about as much as one English word.
    """
    text = unicodedata.normalize("NFKC", text)
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    words = len(re.findall(r"[A-Za-z]+", text))
    return "zh" if cjk and cjk / 2 >= words else ("en" if words else "zh")


def normalise(text: str) -> str:
    """The plain form (widths, traditional characters, dialect, pinyin, typos, repeated marks:
    see normalise.py) in lower case, with fire-looking words about food or trains blanked."""
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    text = plain_form(text).lower()
    return _lexicon().false_friends.sub(lambda m: "·" * len(m.group(0)), text)


# ---------------------------------------------------------------- deciding


@dataclass
class _Reading:
    """One message under examination, with the cues that explain the verdict."""

    text: str
    cues: list[str] = field(default_factory=list)
    hits: dict[Category, list[str]] = field(default_factory=dict)
    fire_words: bool = False
    _found: dict[str, str | None] = field(default_factory=dict)

    def hit(self, group: str) -> str | None:
        """First match of a lexicon group (memoised: the rules ask the same thing often)."""
        if group not in self._found:
            self._found[group] = _lexicon().groups[group].first(self.text)
        return self._found[group]

    def note(self, cue: str) -> None:
        if cue not in self.cues:
            self.cues.append(cue)


def _emergency(reading: _Reading) -> bool:
    """Fire, smoke, sparks, gas or someone trapped, happening now."""
    lex = _lexicon()
    text = lex.negated_fire.sub(" ", reading.text)
    strong, medium = lex.groups["strong"].all(text), lex.groups["medium"].all(text)
    if not strong and not medium:
        return False
    reading.fire_words = True
    for cue in strong + [m for m in medium if not any(m in s for s in strong)]:
        reading.note(f"emergency:{_short(cue)}")
    sparks_only = not strong and set(medium) <= lx.SPARK_CUES
    stand_down = _stand_down_reason(reading, bool(strong), sparks_only)
    if stand_down:
        reading.note(f"not-now:{stand_down}")
        return False
    return True


def _stand_down_reason(reading: _Reading, strong: bool, sparks_only: bool) -> str | None:
    """Why fire words do not mean a fire now, or None when they do.

    Anything growing or trapping people, or said with urgency or "now", stays an emergency.
    """
    if quiz := _quiz(reading):
        return f"advice:{quiz}"
    if reading.hit("spreading"):
        return None
    urgent = reading.hit("urgency")
    present = reading.hit("present") or urgent
    if sparks_only and (work := reading.hit("work_sparks") or reading.hit("whenever")):
        return f"recurring-sparks:{work}"
    if (drill := reading.hit("drill")) and not urgent:
        return f"drill:{drill}"
    if (past := reading.hit("past")) and not (urgent or reading.hit("present_fire")):
        return f"past:{past}"
    if present:
        return None
    if hypothetical := reading.hit("hypothetical"):
        return f"hypothetical:{hypothetical}"
    if asking := reading.hit("question"):
        # "厨房着火了怎么办" is a cry for help; "着火了怎么办？" or "油锅着火能用水浇吗" is a quiz.
        # A burning thing without a place ("电池着火了用水能灭吗") is the subject of a how-to
        # question; with no how-to ("电动车着了怎么办") it is still someone in trouble.
        place = reading.hit("anchor_place")
        if reading.hit("advice") and (not place or not strong):
            return f"advice:{asking}"
        if not place and not reading.hit("anchor_object") and not reading.hit("observed"):
            return f"generic-question:{asking}"
    if habitual := reading.hit("habitual"):
        return f"habitual:{habitual}"
    return None


def _quiz(reading: _Reading) -> str | None:
    """A question about fire in general, however fiery its words or marks ("被困在高楼里应该
    往上跑还是往下跑", "电动车着火了为什么那么难灭？急"): asked with a how-to or an "if", and
    neither a place where it burns nor a cry for help."""
    asking = reading.hit("question")
    if not asking or reading.hit("cry"):
        return None
    # "高层着火了应该往楼上跑还是往楼下跑": 楼上 there is where to run, not what burns.
    # A place with both an "if" and a how-to ("失火时困在屋里怎么自救", "如果楼下着火了应该
    # 怎么逃生") is still a quiz: a cry for help says so (CRY above) or says "now" (stand-down).
    place = _lexicon().groups["anchor_place"].first(_direction().sub(" ", reading.text))
    if place and not (reading.hit("hypothetical") and reading.hit("advice")):
        return None
    if reading.hit("hypothetical") or reading.hit("advice"):
        return asking
    return None


@cache
def _direction() -> re.Pattern[str]:
    return re.compile(lx.DIRECTION)


def _category_scores(reading: _Reading) -> dict[Category, int]:
    scores: dict[Category, int] = {}
    for category, weight, words in _category_matches(reading.text):
        scores[category] = scores.get(category, 0) + weight
        reading.hits.setdefault(category, []).append(words)
    return scores


@lru_cache(maxsize=64)
def _category_matches(text: str) -> tuple[tuple[Category, int, str], ...]:
    """Each category term or combo found in the text, with its weight and words: a message's
    rules and the model's tokens both ask, and 150 searches a time cost more than the rest."""
    lex = _lexicon()
    rules = lex.category_rules
    return tuple(
        (category, weight, _short(match.group(0)))
        for category, regex, weight in map(
            rules.__getitem__, lex.category_searches.candidates(text)
        )
        if (match := regex.search(text))
    )


def _best_category(scores: dict[Category, int]) -> tuple[Category | None, int]:
    """Highest score; ties go to the category listed first in CATEGORY_PRECEDENCE."""
    if not scores:
        return None, 0
    order = lx.CATEGORY_PRECEDENCE
    best = max(order, key=lambda c: (scores.get(c, 0), -order.index(c)))
    return best, scores.get(best, 0)


def _out_of_scope_score(reading: _Reading) -> int:
    score = 0
    for regex, weight in _lexicon().out_of_scope:
        match = regex.search(reading.text)
        if match:
            score += weight
            reading.note(f"off-topic:{_short(match.group(0))}")
    return score


def _severity(reading: _Reading, category: Category) -> Severity:
    """Urgent rules win over high and normal ones; otherwise the category's usual level."""
    found: dict[Severity, str] = {}
    for rule_category, regex, severity in _lexicon().severity_rules:
        if rule_category in (None, category) and severity not in found:
            match = regex.search(reading.text)
            if match:
                found[severity] = _short(match.group(0))
    for severity in (Severity.URGENT, Severity.HIGH, Severity.NORMAL):
        if severity in found:
            reading.note(f"severity:{severity}:{found[severity]}")
            return severity
    return lx.BASE_SEVERITY[category]


def _is_feedback(reading: _Reading, hazard_reported: bool) -> bool:
    """A verdict on the service: praise, complaint, suggestion, or thanks for a fix.

    A message that also describes a hazard is feedback only when the hazard is fixed or
    was reported before; otherwise the hazard is what needs acting on.
    """
    sentiment = reading.hit("sentiment") or reading.hit("meta")
    if not sentiment:
        return False
    settled = reading.hit("resolved") or reading.hit("earlier_report") or reading.hit("meta")
    service = reading.hit("service")
    if not (settled or (service and not hazard_reported)):
        return False
    reading.note(f"feedback:{_short(sentiment)}")
    reading.note(f"about:{_short(settled or service or '')}")
    return True


def _reports_despite_question(reading: _Reading) -> bool:
    """A hazard phrased as a question still reports one when it names a real place or habit
    ("楼道里停电动车算不算违规？我们楼天天有"), unless the resident asks about their own affairs."""
    if anchor := reading.hit("report_anchor"):
        reading.note(f"real-place:{_short(anchor)}")
        return True
    if own := reading.hit("self"):
        reading.note(f"asks-for-self:{_short(own)}")
    return False


def _hazard(
    reading: _Reading, category: Category, score: int
) -> tuple[Kind, Category, Severity] | None:
    """The resident reports this hazard, unless it is off-topic talk or a general question."""
    if _out_of_scope_score(reading) > score:
        return None
    if reading.hit("question") and not _reports_despite_question(reading):
        if state := reading.hit("asked_state"):
            reading.note(f"{ASKED_STATE}:{_short(state)}")
        return None
    for hit in reading.hits[category][:3]:
        reading.note(f"{category}:{hit}")
    return Kind.HAZARD, category, _severity(reading, category)


def _decide(reading: _Reading) -> tuple[Kind, Category | None, Severity | None]:
    category, score = _best_category(_category_scores(reading))
    if _emergency(reading):
        return Kind.EMERGENCY, (category if score >= 2 else None), None
    hazard_like = category is not None and score >= lx.HAZARD_THRESHOLD
    if _is_feedback(reading, hazard_like):
        return Kind.FEEDBACK, None, None
    if hazard_like and (verdict := _hazard(reading, category, score)):
        return verdict
    return _question_or_elsewhere(reading, category if score >= 2 else None)


def _question_or_elsewhere(
    reading: _Reading, weak_category: Category | None
) -> tuple[Kind, None, None]:
    """Not a report: a fire-safety question, or something for the 12345 hotline."""
    off_topic = _out_of_scope_score(reading)
    asking = reading.hit("question")
    topic = reading.hit("fire_topic") or reading.hit("service_topic") or weak_category
    if off_topic >= 3:
        return Kind.OUT_OF_SCOPE, None, None
    if asking and topic:
        reading.note(f"question:{_short(asking)}")
        reading.note(f"topic:{_short(str(topic))}")
        return Kind.QUESTION, None, None
    # A past fire or a drill told as a statement still deserves a person's answer.
    if reading.fire_words or (topic := reading.hit("safety_topic")):
        reading.note(f"topic:{_short(str(topic or 'fire'))}")
        return Kind.QUESTION, None, None
    if off_topic:
        return Kind.OUT_OF_SCOPE, None, None
    reading.note("no fire-safety signal")
    return Kind.OUT_OF_SCOPE, None, None


def classify(text: str) -> Classification:
    """Label one message. Same text, same answer; never raises on odd input."""
    label, reading = _read(text)
    return label if reading is None else combine(label, reading.text, shipped())


@lru_cache(maxsize=2048)
def classify_message(text: str) -> Classification:
    """classify, remembering the last texts: a resident's description is read when it comes
    and again, the same words, when its report is filed (issue 14: classify once)."""
    return classify(text)


# Read by load(): a hazard in each language, so that every part of the reading is built.
_LOADING_TEXTS = ("楼道里电动车充电，插座冒烟了", "There is smoke from the socket in the stairwell")


def load() -> None:
    """Build what classify builds on first use (the lexicon, its patterns, the model), so
    that the first message after a start does not wait for it (issue 14: ≈ 0.13 s, on the
    event loop). Safe beside classify in another thread: each part is cached once built."""
    for text in _LOADING_TEXTS:
        classify(text)


def forget_texts() -> None:
    """What the caches remember of texts read: a benchmark reads the same texts again."""
    classify_message.cache_clear()
    _category_matches.cache_clear()


def classify_rules(text: str) -> Classification:
    """The rules' verdict alone, without the model's view (to train and measure the model)."""
    return _read(text)[0]


def _read(text: str) -> tuple[Classification, _Reading | None]:
    text = text or ""
    if not text.strip():
        return Classification(Kind.OUT_OF_SCOPE, None, None, ("empty",), "zh"), None
    language = detect_language(text[: HEAD_CHARS + TAIL_CHARS])
    reading = _Reading(normalise(text))
    kind, category, severity = _decide(reading)
    return Classification(kind, category, severity, tuple(reading.cues), language), reading


# ---------------------------------------------------------------- the model's view, by cost

# Stand-downs read from the form of the words, not from a fact about the fire (see
# _stand_down_reason).
FORM_STAND_DOWNS = ("not-now:generic-question:", "not-now:advice:", "not-now:hypothetical:")
DANGER = (Kind.HAZARD, Kind.EMERGENCY)
GREETING = "greeting"  # small talk: a class of the kind head, filed as out_of_scope


def stood_down_by_form(label: Classification) -> bool:
    return label.kind != Kind.EMERGENCY and any(
        cue.startswith(FORM_STAND_DOWNS) for cue in label.cues
    )


def stood_down_for_fact(label: Classification) -> bool:
    """Fire words the rules stood down for a fact (a past fire, a drill, a welder's sparks, a
    habit): the model may not raise those."""
    return any(cue.startswith("not-now:") for cue in label.cues) and not stood_down_by_form(label)


def model_tokens(label: Classification, plain: str) -> list[str]:
    """The rules' reading as tokens for the model: verdict, category, severity, and each
    cue's name ("emergency", "not-now:past", "real-place", "ebike" …) without its words."""
    tokens = [f"rule-kind={label.kind}", f"rule-category={label.category}"]
    tokens.append(f"rule-severity={label.severity}")
    for cue in label.cues:
        parts = cue.split(":")
        tokens.append(f"cue={parts[0]}")
        if len(parts) > 2:
            tokens.append(f"cue={parts[0]}:{parts[1]}")
    tokens.append(f"length={min(len(plain) // 10, 6)}")
    # Every category the lexicon sees at all, below the hazard threshold too ("消火栓" alone):
    # the rules' vocabulary, not their verdict.
    tokens += [f"lex={category}" for category in _lexicon_categories(plain)]
    tokens += [f"sign={name}" for name, regex in _signs() if regex.search(plain)]
    return tokens


def _lexicon_categories(plain: str) -> list[str]:
    scores = _category_scores(_Reading(plain))
    top = max(scores.values(), default=0)
    return [f"{c}" if score < top else f"{c}:top" for c, score in scores.items()]


# What the corpus README's severity definition turns on, as tokens the model weighs (never a
# verdict by themselves): heat, noise or a flame at work, fuel beside it, wind, people inside
# now or asleep, many people, one way out, and the marks of one degraded thing or a habit.
SIGNS = {
    "heat": r"发烫|烫手|很烫|好烫|发热|烫|冒烟|焦|发黑|变黑|烧化|熔|融化|鼓包|鼓起|变形|"
    r"hot|melt|scorch|burnt|swollen|smok",
    "noise": r"滋滋|嗡嗡|噼里啪啦|噼啪|啪啪|打火|火花|火星|闪|buzz|crackl|spark|hiss",
    "flame-at-work": r"电焊|焊接|切割|气割|烧(?:荒|秸秆|垃圾|枯枝|东西|纸)|点火|生火|明火|炭火|"
    r"柴火|抽烟|烟头|蚊香|香|蜡烛|weld|cutting|burn|lighter|fire|candle|incense|cigarette",
    "fuel-beside": r"纸箱|泡沫|木料|木板|木头|刨花|木屑|布料|海绵|干草|草|树林|柴|油漆|稀料|汽油|"
    r"柴油|液化气|气罐|气瓶|加油站|易燃|cardboard|foam|timber|wood|fabric|petrol|fuel|lpg|"
    r"gas (?:bottle|cylinder)|brush|grass|dry",
    "wind": r"风大|大风|刮风|风很大|风一吹|wind",
    "people-now": r"里面.{0,6}(?:人|坐满|营业|上课|睡)|正在(?:营业|上课|睡|开)|营业中|坐满|"
    r"满座|挤满|今晚|现在|晚上.{0,4}睡|睡觉|在睡|午睡|住满|inside|packed|tonight|right now|"
    r"asleep|sleep|open now|full",
    "crowd": r"(?:十几|二十|三十|几十|好多|很多|一大群)(?:多|来)?个?(?:人|工人|租客|学生|老人|孩子)|"
    r"\d{2,} ?(?:people|tenants|workers)|dozens",
    "one-way-out": r"只有(?:一|1)个?(?:出口|门|楼梯|小门)|唯一|防盗网|铁栏|焊死|封死|one exit|"
    r"only (?:one|1) (?:exit|way|door|stair)|barred",
    "locked": r"锁|铁链|钉死|封|堵死|chain|lock|nailed|padlock",
    "overnight": r"一整夜|一夜|整晚|通宵|晚上|夜里|床边|床头|卧室|overnight|all night|bed",
    "one-thing": r"(?:一|1|两|2)(?:个|辆|瓶|罐|块|只|盏)|坏了|不亮|过期|掉了|松了|关不上|没电|"
    r"空的|用完|空煤气|空油漆|broken|expired|empty|loose|not lit|one ",
    "habit": r"天天|每天|经常|总是|老是|一直有人|every (?:day|night|morning)|always|keep",
    "many-things": r"一排|一堆|堆满|满|好几|十几|一大堆|一屋|囤|几十|rows?|stacks?|piles?|drums",
}


@cache
def _signs() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern)) for name, pattern in SIGNS.items())


def _top(p: dict[str, float], among: tuple[str, ...] | None = None) -> str:
    return max((k for k in p if among is None or k in among), key=p.__getitem__)


def combine(label: Classification, plain: str, model: TriageModel | None) -> Classification:
    """The rules' verdict weighed by the model (model.py), by cost:

    - emergency when the rules raised one (the model never stands an alarm down: a possible
      emergency always gets the 119 advice), or the model's emergency probability reaches
      `emergency`, unless the rules stood fire words down for a fact (a past fire, a drill, a
      welder's sparks, a habit); `keep` is 0 as shipped;
    - otherwise the model's likeliest other kind (small talk files as out_of_scope);
    - out_of_scope or question while the model sees a possible hazard (hazard + emergency ≥
      `ask`) or the rules saw one, or out_of_scope where the rules said otherwise: the verdict
      stands with a POSSIBLE_HAZARD cue, so
      doubt.unsure() asks the resident before anything goes to 12345;
    - a hazard's category and severity from their heads, which read the rules' too.
    Thresholds come with the model (chosen on train by cross-validation, grouped by core).
    """
    if model is None:
        return label
    tokens = model_tokens(label, plain)
    p = model.kind.probabilities(plain, tokens)
    top = _top(p)
    cues = [*label.cues, f"{MODEL}:{top}:{p[top]:.2f}"]
    emergency = p.get(Kind.EMERGENCY, 0.0)
    t = model.thresholds
    raise_ok = not stood_down_for_fact(label)
    if (raise_ok and emergency >= t["emergency"]) or (
        label.kind == Kind.EMERGENCY and emergency >= t["keep"]
    ):
        kind = Kind.EMERGENCY
    else:
        kind = Kind(
            _top(p, tuple(k for k in p if k != Kind.EMERGENCY)).replace(GREETING, "out_of_scope")
        )
    if kind == Kind.FEEDBACK and label.kind == Kind.HAZARD:
        # A hazard the rules read (a thing and what is wrong with it) is not a complaint to
        # file away on the model's word: at worst a worker reads a grumble.
        kind = Kind.HAZARD
    if kind != label.kind:
        cues.append(f"{MODEL}:{label.kind}->{kind}")
    if kind == Kind.EMERGENCY and label.kind != Kind.EMERGENCY:
        cues.append(f"{MODEL_EMERGENCY}:{emergency:.2f}")
    danger = p.get(Kind.HAZARD, 0.0) + emergency
    # Nothing the rules kept for us goes to 12345 on the model's word alone.
    moved_away = kind == Kind.OUT_OF_SCOPE and label.kind != Kind.OUT_OF_SCOPE
    asked_state = any(cue.startswith(ASKED_STATE) for cue in label.cues)
    if kind in (Kind.OUT_OF_SCOPE, Kind.QUESTION) and (
        danger >= t["ask"] or label.kind in DANGER or moved_away or asked_state
    ):
        cues.append(f"{POSSIBLE_HAZARD}:{danger:.2f}")
    category, severity = _category_and_severity(label, kind, plain, tokens, model)
    return replace(label, kind=kind, category=category, severity=severity, cues=tuple(cues))


def _category_and_severity(
    label: Classification, kind: Kind, plain: str, tokens: list[str], model: TriageModel
) -> tuple[Category | None, Severity | None]:
    if kind == Kind.EMERGENCY:
        return label.category, None
    if kind != Kind.HAZARD or model.category is None or model.severity is None:
        return (label.category, label.severity) if kind == Kind.HAZARD else (None, None)
    category = Category(_top(model.category.probabilities(plain, tokens)))
    p = model.severity.probabilities(plain, severity_tokens(tokens, plain, category))
    allowed = definition.allowed(category)
    severity = Severity(_top(p, allowed))
    # The rules' urgent words ("里面好多人", "冒火花") were right 95 % of the time on train out of
    # fold, and under-rating an urgent hazard is the costly mistake: they win (where the
    # definition allows urgent at all).
    urgent_words = any(cue.startswith(f"severity:{Severity.URGENT}:") for cue in label.cues)
    if urgent_words and Severity.URGENT in allowed:
        severity = Severity.URGENT
    return category, severity


def severity_tokens(tokens: list[str], plain: str, category: Category | str) -> list[str]:
    """What the severity head reads beside the n-grams: the rules' tokens, the category, the
    written definition's reading for that category (severity.py) and each sign paired with the
    category (a flame beside fuel is urgent, one device degraded is normal: per category)."""
    signs = [f"{category}&{t}" for t in tokens if t.startswith("sign=")]
    return [*tokens, f"category={category}", *definition.tokens(plain, category), *signs]

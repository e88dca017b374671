"""Severity by the corpus's written definition, one per category (issue 13; the definition is
in triage/data/corpus/README.md, "Severity, category by category").

DESIGN.md: urgent = could start a fire or trap people within hours, high = serious, not
immediate, normal = everything else. Per category that reads:

- fire_lane: always high (an engine cannot get in; nobody is trapped by the lane itself).
- exit_blocked: urgent when people are inside now (a venue open, a class, sleepers) and their
  way out is locked, chained, nailed or blocked; normal when one fire door is propped open, its
  closer broken or a small thing stands by a door without barring it; high otherwise.
- ebike: urgent when a battery charges overnight, beside a bed, in a flat or lobby at night,
  or is swollen or hot; normal when one or two stand parked (not charging, not blocking);
  high otherwise (parked indoors, in lifts, by exits, charged at home or by flying wires).
- electrical: urgent when something is hot, buzzing, scorched, melting or sparking; normal when
  one fitting is merely loose or missing its cover; high otherwise (aging, illegal, overloaded,
  exposed wiring).
- fire_equipment: never urgent; high when water or a system is out of action (a hydrant or hose
  reel blocked, sealed, nailed, welded, stripped, broken, no water; sprinklers or the alarm
  system off); normal when one device is degraded (an extinguisher expired or low, an
  emergency light, an exit sign, one smoke detector).
- flammables: urgent beside a flame, a heater, the sun or sleepers, or leaking; normal for one
  empty cylinder or one can; high otherwise (stored in quantity, sold where people live).
- open_flame: urgent when a fire, welding, cutting or a smouldering coil or candle works now
  beside fuel, bedding or sleepers, near woods or in wind; normal for a passing habit (paper
  offerings, incense, a cigarette in the stairwell); high for recurring flames by buildings.
- occupancy: never normal; urgent when many sleep there (twenty or more, beds among goods or
  fabric, one exit, barred windows); high otherwise (people living in shops, workshops,
  basements, group rentals).
- other: never urgent; high for building-wide things (combustible cladding or partitions, smoke
  control out, a fire control room unmanned); normal for one small thing.

`reading(plain, category)` names the level the definition points to and why, as tokens the
severity head weighs; `allowed(category)` is what the definition permits at all.
"""

from __future__ import annotations

import re
from functools import cache

from triage.understanding.taxonomy import Category, Severity

C, S = Category, Severity

NOW_INSIDE = (
    r"里面.{0,6}(?:人|坐满|营业|上课|睡|住)|正在(?:营业|上课|睡|开|住)|营业中|坐满|满座|挤满|"
    r"(?:晚上|夜里|半夜).{0,6}(?:睡|住)|睡觉|在睡|睡在|住着|住满|上课|open (?:now|right now)|"
    r"right now|inside|asleep|sleep|packed|full of (?:people|customers|guests|kids|children)|in class"
)
SHUT = (
    r"锁|铁链|链条|钉死|焊死|封死|堵死|堵住|挡住|推不开|打不开|拴死|"
    r"\b(?:lock|chain|padlock|nailed|welded|blocked|bolted)"
)
HEAT = (
    r"发烫|烫手|很烫|好烫|发热|冒烟|焦|发黑|变黑|烧化|熔|融化|鼓包|鼓起|滋滋|嗡嗡|噼里啪啦|"
    r"噼啪|火花|火星|打火|hot|melt|scorch|burnt|swollen|buzz|crackl|spark"
)
NIGHT_CHARGE = (
    r"(?:充|插着|charg).{0,40}(?:一整夜|一夜|整晚|通宵|晚上|夜里|床边|床头|卧室|"
    r"overnight|all night|bed|bedroom|at night)|"
    r"(?:一整夜|一夜|整晚|通宵|晚上|夜里|床边|床头|卧室|overnight|all night|at night|bed)"
    r".{0,30}(?:充|charg)"
)
FEW = r"(?:一|1|两|2|一两|几)(?:个|辆|台)|one |two |a (?:scooter|bike|e-bike)"
FLAME_NOW = (
    r"电焊|焊接|切割|气割|烧荒|烧秸秆|烧垃圾|烧枯枝|生火|烤火|炭火|柴火|蚊香|蜡烛|明火|烧烤|"
    r"抽烟|烟头|weld|cutting|burn(?:ing)? (?:rubbish|trash|leaves|brush)|bonfire|candle|coil|"
    r"campfire|smok|cigarette"
)
FUEL = (
    r"纸箱|泡沫|木料|木板|木头|刨花|木屑|布料|海绵|干草|草堆|树林|林子|山上|柴堆|床边|床头|被子|"
    r"蚊帐|油漆|稀料|汽油|柴油|液化气|气罐|cardboard|foam|timber|wood|fabric|petrol|bed|"
    r"curtain|dry grass|forest|trees"
)
HABIT_FLAME = r"烧纸|纸钱|上香|烧香|拜神|抽烟|吸烟|烟头|paper offering|incense|smok|cigarette"
CROWD = (
    r"(?:二十|三十|四十|五十|几十|上百)(?:多|来)?个?(?:人|工人|租客|学生|老人|孩子|床)|"
    r"\b[2-9]\d ?(?:people|tenants|workers|beds)|dozens|只有(?:一|1)个?(?:出口|门|楼梯)|唯一|"
    r"防盗网|铁栏|焊死|封死|one exit|barred|睡在.{0,8}(?:布料|货|纸箱|仓库)|among the goods|"
    r"(?:布料|货物|纸箱|面料).{0,6}(?:睡|床)"
)
WATER_OUT = (
    r"(?:消火栓|消防栓|水带|水枪|喷淋|喷头|水泵|报警系统|报警主机|hydrant|hose|sprinkler|pump|"
    r"alarm (?:system|panel)).{0,16}(?:堵|封|钉|焊|锁|坏|拆|偷|漏|拿走|占|挡|关|停|没水|无水|"
    r"没有水|空|block|seal|nail|weld|lock|broken|leak|stripped|missing|empty|off|no water|dry)|"
    r"(?:堵|封|钉|焊|锁|挡|block|nail|weld|lock).{0,10}(?:消火栓|消防栓|hydrant|hose)|"
    r"没水|无水|no water|整栋|整个|全部|都被|所有|没有一个|all the|every "
)
ONE_DEVICE = (
    r"灭火器|灭火毯|应急灯|应急照明|疏散指示|指示牌|指示灯|出口标志|安全出口灯|烟感|烟雾报警器|压力表|过期|"
    r"不亮|"
    r"extinguisher|fire blanket|emergency light|exit sign|smoke (?:detector|alarm)|gauge|expired|"
    r"not lit"
)
EMPTY_ONE = r"空(?:的)?(?:煤气|液化气|气)?罐|空瓶|空桶|一(?:罐|桶|瓶)|empty|a can of|one can"
NEAR_HEAT = (
    r"(?:旁边|边上|挨着|靠着|附近|紧挨|太阳底下|暴晒|晒着|next to|beside|by the|near the|in the sun)"
    r".{0,10}(?:灶|火|炉|取暖器|电暖|暖气|太阳|heater|stove|flame|fire|sun|boiler)|"
    r"(?:灶|火|炉|取暖器|电暖|heater|stove|flame).{0,6}(?:旁边|边上|挨着|next to|beside)|"
    r"漏|泄漏|leak|暴晒|in the sun"
)
LOOSE_ONE = (
    r"(?:插座|开关|面板|插头|灯座|socket|switch|plug|outlet).{0,8}(?:松|掉|盖|歪|loose|cover)|"
    r"盖子?(?:掉|没|坏)|missing (?:its )?cover|without (?:a |its )?cover|cover (?:is |has )?"
    r"(?:missing|broken|off|came off|fell off)"
)
PROPPED = (
    r"防火门.{0,8}(?:开着|敞开|关不上|关不严|顶住|顶开|撑开|卡住|挡住|闭门器|拴)|闭门器|"
    r"propped|wedged|held open|closer"
)
BUILDING_WIDE = (
    r"保温|外墙|外立面|泡沫板|夹芯板|彩钢板|隔断|吸音|装修|insulation|cladding|partition"
)

# (category, severity, sign name, pattern): the first rule of a category that matches wins.
RULES: list[tuple[Category, Severity, str, str]] = [
    (C.EXIT_BLOCKED, S.URGENT, "people-inside-shut-in", rf"(?:{SHUT}).*(?:{NOW_INSIDE})"),
    (C.EXIT_BLOCKED, S.URGENT, "people-inside-shut-in", rf"(?:{NOW_INSIDE}).*(?:{SHUT})"),
    (C.EXIT_BLOCKED, S.NORMAL, "one-door-propped", PROPPED),
    (C.EBIKE, S.URGENT, "battery-hot", HEAT),
    (C.EBIKE, S.URGENT, "charging-at-night", NIGHT_CHARGE),
    (C.EBIKE, S.NORMAL, "one-or-two-parked", rf"(?:{FEW}).{{0,10}}(?:电动车|电瓶车|scooter|bike)"),
    (C.ELECTRICAL, S.URGENT, "heat-or-sparks", HEAT),
    (C.ELECTRICAL, S.NORMAL, "one-fitting-loose", LOOSE_ONE),
    (C.FIRE_EQUIPMENT, S.HIGH, "water-or-system-out", WATER_OUT),
    (C.FIRE_EQUIPMENT, S.NORMAL, "one-device-degraded", ONE_DEVICE),
    (C.FLAMMABLES, S.NORMAL, "one-empty-container", EMPTY_ONE),
    (C.FLAMMABLES, S.URGENT, "beside-heat-or-leaking", NEAR_HEAT),
    (C.OPEN_FLAME, S.URGENT, "flame-beside-fuel", rf"(?:{FLAME_NOW}).*(?:{FUEL})"),
    (C.OPEN_FLAME, S.URGENT, "flame-beside-fuel", rf"(?:{FUEL}).*(?:{FLAME_NOW})"),
    (C.OPEN_FLAME, S.URGENT, "flame-in-wind", rf"(?:{FLAME_NOW}).*(?:风大|大风|刮风|wind)"),
    (C.OPEN_FLAME, S.NORMAL, "passing-habit", HABIT_FLAME),
    (C.OCCUPANCY, S.URGENT, "many-asleep", CROWD),
    (C.OTHER, S.HIGH, "building-wide", BUILDING_WIDE),
]

# What the definition permits at all (the corpus agrees: no urgent fire_equipment or other, no
# normal occupancy, every fire_lane high).
ALLOWED: dict[Category, tuple[Severity, ...]] = {
    C.FIRE_LANE: (S.HIGH,),
    C.FIRE_EQUIPMENT: (S.HIGH, S.NORMAL),
    C.OTHER: (S.HIGH, S.NORMAL),
    C.OCCUPANCY: (S.URGENT, S.HIGH),
}


@cache
def _rules() -> tuple[tuple[Category, Severity, str, re.Pattern[str]], ...]:
    return tuple((c, s, name, re.compile(p)) for c, s, name, p in RULES)


def reading(plain: str, category: Category | str) -> tuple[Severity | None, str | None]:
    """The level the definition points to for this category, and the sign that decided, or
    (None, None) when no sign is there (the head weighs the rest)."""
    for rule_category, severity, name, regex in _rules():
        if rule_category == category and regex.search(plain):
            return severity, name
    allowed = ALLOWED.get(Category(category), ())
    if len(allowed) == 1:
        return allowed[0], "only-level"
    return None, None


def tokens(plain: str, category: Category | str) -> list[str]:
    """The definition's reading as tokens for the severity head."""
    level, sign = reading(plain, category)
    if level is None:
        return [f"def={category}:none"]
    return [f"def={level}", f"def={category}:{level}", f"def-sign={sign}"]


def allowed(category: Category | str) -> tuple[Severity, ...]:
    return ALLOWED.get(Category(category), (S.URGENT, S.HIGH, S.NORMAL))

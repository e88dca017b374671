"""The written severity definition, category by category (triage/understanding/severity.py)."""

from triage.understanding import severity
from triage.understanding.classify import classify, normalise
from triage.understanding.taxonomy import Category, Kind, Severity


def level(text: str, category: Category) -> Severity | None:
    return severity.reading(normalise(text), category)[0]


def test_people_inside_behind_a_locked_exit_is_urgent():
    assert level("KTV的后门被锁了，现在里面坐满了人", Category.EXIT_BLOCKED) == Severity.URGENT
    assert level("防火门被砖头顶着一直开着", Category.EXIT_BLOCKED) == Severity.NORMAL


def test_ebikes_by_number_and_by_night():
    assert level("邻居把电瓶拿到卧室床边充一整夜", Category.EBIKE) == Severity.URGENT
    assert level("楼梯下面停着一辆电动车", Category.EBIKE) == Severity.NORMAL
    assert level("he charges two scooter batteries under his bed every night", Category.EBIKE) == (
        Severity.URGENT
    )


def test_fire_water_out_of_action_is_high_one_device_normal():
    assert level("消火栓被木条封住了", Category.FIRE_EQUIPMENT) == Severity.HIGH
    assert level("the extinguisher expired last year", Category.FIRE_EQUIPMENT) == Severity.NORMAL
    assert level("整栋楼的灭火器都被偷了", Category.FIRE_EQUIPMENT) == Severity.HIGH


def test_aging_wiring_is_not_heat():
    assert level("电线都老化了", Category.ELECTRICAL) is None
    assert level("配电箱嗡嗡响还烫手", Category.ELECTRICAL) == Severity.URGENT


def test_levels_the_definition_does_not_allow():
    assert severity.allowed(Category.FIRE_LANE) == (Severity.HIGH,)
    assert Severity.URGENT not in severity.allowed(Category.FIRE_EQUIPMENT)
    assert Severity.NORMAL not in severity.allowed(Category.OCCUPANCY)
    assert level("消防车道被货车堵了", Category.FIRE_LANE) == Severity.HIGH


def test_classified_severity_stays_within_the_definition():
    label = classify("小区消防车道被一排私家车堵死了，消防车根本进不来")
    assert label.kind == Kind.HAZARD
    assert label.severity == Severity.HIGH

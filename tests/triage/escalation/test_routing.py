"""Routing pieces that need no chat: duty hours, addresses, the district map."""

from __future__ import annotations

import json
from datetime import time

from firecircle.sample import DATA
from storage.models import GridCell, GridDuty
from triage.districts.cells import DistrictMap
from triage.escalation.routing import community_in, on_duty
from triage.reports.duplicates import distance_m


def duty(start: str | None, end: str | None) -> GridDuty:
    return GridDuty(grid_id=1, staff_id=1, duty_start=start, duty_end=end)


def test_duty_hours_including_overnight_shifts():
    assert on_duty(duty(None, None), time(3, 0))
    assert on_duty(duty("08:00", "20:00"), time(8, 0))
    assert not on_duty(duty("08:00", "20:00"), time(20, 0))
    assert on_duty(duty("20:00", "08:00"), time(23, 30))
    assert on_duty(duty("20:00", "08:00"), time(7, 59))
    assert not on_duty(duty("20:00", "08:00"), time(12, 0))


def test_a_typed_address_names_its_community():
    names = ["幸福社区", "和平社区", "春晖社区"]
    assert community_in("幸福社区7栋2单元", names) == "幸福社区"
    assert community_in("和平3栋楼下", names) == "和平社区"
    assert community_in("人民路88号", names) is None


def sample_map() -> DistrictMap:
    collection = json.loads((DATA / "sample_district.geojson").read_text("utf-8"))
    cells = [
        GridCell(
            id=i,
            code=f["properties"]["code"],
            name=f["properties"]["name"],
            community=f["properties"]["community"],
            street=f["properties"]["street"],
            geometry=json.dumps(f["geometry"]),
        )
        for i, f in enumerate(collection["features"], start=1)
    ]
    return DistrictMap(cells)


def test_points_fall_in_their_cell_and_the_margin_bounds_the_district():
    district = sample_map()
    assert district.cell_at(30.5415, 114.3320).name == "幸福社区第一网格"
    assert district.cell_at(30.5495, 114.3445).community == "春晖社区"
    assert district.cell_at(30.5300, 114.3320) is None  # 1 km south of the grid
    assert district.serves(30.5300, 114.3320, margin_meters=2000)
    assert not district.serves(30.5300, 114.3320, margin_meters=500)
    assert not district.serves(0.0, -160.0, margin_meters=2000)


def test_distance():
    assert abs(distance_m(30.5415, 114.3320, 30.5417, 114.3320) - 22.2) < 0.5

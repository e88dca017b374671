"""/nearby: the service points within ten minutes' walk of where the resident is, nearest
first, open now or not; none within reach → the nearest three anyway, saying how far."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from storage import places as place_rows
from storage import residents as resident_rows
from storage.engine import SessionFactory, transaction
from storage.models import PendingInput, Place
from storage.types import utcnow
from triage.actors import Actor
from triage.circle.distance import meters_between
from triage.districts.cells import DistrictMap
from triage.escalation.policy import Policy
from triage.escalation.routing import on_duty
from triage.intake import residents
from triage.intake.reply import Reply

PURPOSE = "nearby"
SHOWN = 5  # at most, within reach
FALLBACK = 3  # the nearest, when none is within reach


@dataclass(frozen=True)
class Near:
    name: str
    type: str
    address: str
    phone: str | None
    hours: str | None
    open_now: bool
    walk_meters: int
    latitude: float
    longitude: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def nearest(
    places: Sequence[Place], latitude: float, longitude: float, policy: Policy, local: time
) -> tuple[list[Near], bool]:
    """(the places to show, whether they are within reach)."""
    found = sorted(
        (_near(p, latitude, longitude, policy, local) for p in places),
        key=lambda n: n.walk_meters,
    )
    within = [n for n in found if n.walk_meters <= policy.nearby_meters]
    return (within[:SHOWN], True) if within else (found[:FALLBACK], False)


def _near(place: Place, latitude: float, longitude: float, policy: Policy, local: time) -> Near:
    straight = meters_between(latitude, longitude, place.latitude, place.longitude)
    start, _, end = (place.hours or "").partition("-")
    hours = _Hours(start or None, end or None)
    return Near(
        place.name,
        place.type,
        place.address,
        place.phone,
        place.hours,
        on_duty(hours, local),
        round(straight * policy.street_factor),
        place.latitude,
        place.longitude,
    )


@dataclass(frozen=True)
class _Hours:  # opening hours read like duty hours ("20:00-08:00" wraps midnight)
    duty_start: str | None
    duty_end: str | None


class NearbyDesk:
    def __init__(
        self, sessions: SessionFactory, policy: Policy, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.policy = policy
        self.clock = clock

    async def ask(self, who: Actor) -> Reply:
        """Ask for the resident's location; what the bot already waits for keeps its place
        (an emergency's location is never displaced by a search)."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            pending = await resident_rows.pending_input(
                session=session, telegram_id=who.telegram_id
            )
            if pending is None:
                session.add(PendingInput(telegram_id=who.telegram_id, purpose=PURPOSE))
            elif pending.purpose == PURPOSE:
                pending.created_at = self.clock()
            return Reply("nearby_ask", resident)

    async def around(
        self, session, resident, latitude: float, longitude: float, district: DistrictMap
    ) -> Reply:
        if not district.serves(latitude, longitude, self.policy.nearby_meters):
            return Reply("nearby_outside", resident)
        places = await place_rows.all_places(session=session)
        if not places:
            return Reply("nearby_no_places", resident)
        local = self.clock().astimezone(self.policy.timezone).time()
        shown, within = nearest(places, latitude, longitude, self.policy, local)
        values = {"places": [n.as_dict() for n in shown], "meters": int(self.policy.nearby_meters)}
        return Reply("nearby" if within else "nearby_far", resident, values=values)

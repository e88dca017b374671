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

    async def where(self, who: Actor, kinds: Sequence[str], district: DistrictMap) -> Reply:
        """A where-to-go question ("哪里可以检测灭火器"): the nearest place of those kinds from
        where the resident last shared their location; not known (or outside the district):
        ask for it, and answer when it comes."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            known = resident.last_latitude is not None and district.serves(
                resident.last_latitude, resident.last_longitude, self.policy.nearby_meters
            )
            if known:
                return await self.matching(
                    session, resident, resident.last_latitude, resident.last_longitude, kinds
                )
            pending = await resident_rows.pending_input(
                session=session, telegram_id=who.telegram_id
            )
            if pending is not None and pending.purpose != PURPOSE:  # an emergency's place,
                return Reply("where_ask_later", resident)  # an answer to staff: kept first
            if pending is None:
                pending = PendingInput(telegram_id=who.telegram_id, purpose=PURPOSE)
                session.add(pending)
            pending.created_at, pending.detail = self.clock(), {"kinds": list(kinds)}
            return Reply("where_ask", resident, values={"sought": kinds[0]})

    async def matching(
        self, session, resident, latitude: float, longitude: float, kinds: Sequence[str]
    ) -> Reply:
        """The nearest place of the first of `kinds` there is (then the next kind)."""
        places = await place_rows.all_places(session=session)
        local = self.clock().astimezone(self.policy.timezone).time()
        for kind in kinds:
            of_kind = [p for p in places if p.type == kind]
            if of_kind:
                shown, within = nearest(of_kind, latitude, longitude, self.policy, local)
                place = shown[0].as_dict()  # what they asked for names the answer
                values = {"places": [place], "within": within, "sought": kinds[0]}
                return Reply("where_nearest", resident, values=values)
        return Reply("where_none", resident, values={"sought": kinds[0]})

    def remember(self, resident, latitude: float, longitude: float) -> None:
        """Where they were when they last shared a location (erased by /forget)."""
        resident.last_latitude, resident.last_longitude = latitude, longitude
        resident.located_at = self.clock()

    async def around(
        self,
        session,
        resident,
        latitude: float,
        longitude: float,
        district: DistrictMap,
        kinds: Sequence[str] = (),
    ) -> Reply:
        if not district.serves(latitude, longitude, self.policy.nearby_meters):
            return Reply("nearby_outside", resident)
        if kinds:
            return await self.matching(session, resident, latitude, longitude, kinds)
        places = await place_rows.all_places(session=session)
        if not places:
            return Reply("nearby_no_places", resident)
        local = self.clock().astimezone(self.policy.timezone).time()
        shown, within = nearest(places, latitude, longitude, self.policy, local)
        values = {"places": [n.as_dict() for n in shown], "meters": int(self.policy.nearby_meters)}
        return Reply("nearby" if within else "nearby_far", resident, values=values)

"""Why an Open311 call is refused: a reason the protocol side turns into its error array."""

from __future__ import annotations

# reason → the HTTP status the GeoReport v2 specification gives it
STATUS = {
    "no_key": 403,
    "bad_key": 403,
    "too_many": 429,
    "unknown_service": 404,
    "no_service": 400,
    "no_location": 400,
    "bad_coordinates": 400,
    "outside_district": 400,
    "unknown_address": 400,
    "too_long": 400,
    "bad_attribute": 400,
    "bad_media_url": 400,
    "bad_date": 400,
    "bad_range": 400,
    "bad_status": 400,
    "bad_page": 400,
    "unknown_request": 404,
    "file_given": 400,
}


class Refused(Exception):
    """`reason` is a key of STATUS; `values` fill its text in; `retry_after` (seconds) for
    too_many."""

    def __init__(self, reason: str, *, retry_after: int | None = None, **values: object):
        super().__init__(reason)
        self.reason = reason
        self.values = values
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return STATUS[self.reason]

"""The records the domain hands out (a report, a broadcast, a resident, a staff member), for
the surfaces to read and to name in their hints. They are storage's rows: read them, never
write them; every change goes through a desk (a report's status through triage.lifecycle)."""

from __future__ import annotations

from storage.models import Broadcast, Report, ReportEvent, Resident, Staff

__all__ = ["Broadcast", "Report", "ReportEvent", "Resident", "Staff"]

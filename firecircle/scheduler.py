"""Waking at the next deadline. The deadlines live in the database; APScheduler holds one job
armed at the earliest of them and is re-armed whenever they change (in this process, or, on
PostgreSQL, in another one: NOTIFY). A restart arms it from the database, so whatever fell
due while the service was down runs at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from storage import signals
from storage.engine import SessionFactory
from storage.types import utcnow
from triage.escalation.ladder import BATCH, escalate_due, next_deadline
from triage.escalation.policy import Policy

log = logging.getLogger(__name__)
WATCHDOG = timedelta(seconds=60)  # re-read the earliest deadline now and then, whatever happens
JOB = "deadlines"


class DeadlineScheduler:
    def __init__(self, sessions: SessionFactory, policy: Policy):
        self.sessions = sessions
        self.policy = policy
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._changed = signals.waiter(signals.DEADLINES, hints=True)
        self._running = asyncio.Lock()
        self._armed: datetime | None = None  # the job's time (None: no deadline at all)
        self._known = False  # whether _armed is what the database said, since changed only here

    async def run(self) -> None:
        self.scheduler.start()
        said: list[object] = [signals.UNSAID]  # the first arming reads the database
        try:
            while True:
                if not self._rearm(said):
                    await self.arm()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), WATCHDOG.total_seconds())
                said = self._changed.take() or [signals.UNSAID]  # the watchdog: read again
        finally:
            signals.forget(self._changed)
            self.scheduler.shutdown(wait=False)

    def _rearm(self, said: list[object]) -> bool:
        """Re-armed without reading the database when every change was a report's deadline
        set in this process: the earliest can only have come to the earliest of them. (A
        deadline moved later may leave the job early: it finds nothing due, and the run's
        end has the database read again.) False: the database must say."""
        if self._running.locked() or not self._known or signals.UNSAID in said:
            return False
        times = [d for d in said if isinstance(d, datetime)]
        times += [self._armed] if self._armed is not None else []
        if times and min(times) != self._armed:
            self._schedule(min(times))
        return True

    async def arm(self) -> None:
        if self._running.locked():  # run_due re-arms when it is done; a second run would wait
            return
        self._known = False
        try:
            due = await next_deadline(self.sessions)
            self._known = True
        except Exception:
            log.exception("could not read the next deadline")
            due = utcnow() + timedelta(seconds=5)
        if due is None:
            self._armed = None
            if self.scheduler.get_job(JOB):
                self.scheduler.remove_job(JOB)
            return
        self._schedule(due)

    def _schedule(self, due: datetime) -> None:
        self._armed = due
        self.scheduler.add_job(
            self.run_due,
            DateTrigger(run_date=max(due, utcnow())),
            id=JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def run_due(self) -> int:
        """Handle everything due now, batch after batch; then the loop re-arms."""
        async with self._running:
            self._known = False  # the job is gone: what was armed is no longer
            done = 0
            try:
                while True:
                    handled = await escalate_due(self.sessions, self.policy, utcnow())
                    done += handled
                    if handled < BATCH:
                        break
            except Exception:
                log.exception("escalation batch failed; retrying shortly")
                self.scheduler.add_job(
                    self.run_due,
                    DateTrigger(run_date=utcnow() + timedelta(seconds=1)),
                    id=JOB,
                    replace_existing=True,
                )
                return done
            signals.wake_local(signals.DEADLINES)
            return done

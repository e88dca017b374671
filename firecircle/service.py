"""Wiring: builds storage, the domain, the bot and the web side, starts and stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut

from bot.app import build_application, publish_commands
from bot.broadcast import Wording
from bot.context import BotServices
from bot.inbox import ALLOWED_UPDATES, Inbox
from bot.photos import PhotoCache
from bot.sender import OutboxSender
from bot.survey import Wording as SurveyWording
from bot.webhook import webhook_route
from firecircle.scheduler import DeadlineScheduler
from firecircle.settings import Settings, redact
from storage import signals
from storage.engine import make_engine, make_session_factory
from storage.leader import AlreadyRunning, Leadership
from storage.migrate import current_revision, head_revision
from triage.answers.desk import AnswerDesk
from triage.broadcasts import BroadcastDesk
from triage.circle.calls import TeamDesk
from triage.circle.nearby import NearbyDesk
from triage.console.desk import Console
from triage.desks import DeskContext
from triage.districts.cache import DistrictCache
from triage.escalation.policy import Policy
from triage.fieldwork.desk import FieldDesk
from triage.intake.conversation import Conversation
from triage.intake.drafts import Intake
from triage.intake.frontdesk import FrontDesk
from triage.intake.limits import Limits
from triage.open311.filing import Filing
from triage.open311.keys import ApiKeys
from triage.open311.reading import Reading
from triage.protection.abuse import AbuseDesk
from triage.protection.privacy import PrivacyDesk, Retention, apply_retention
from triage.reports.followup import FollowUp
from triage.surveys.desk import SurveyDesk
from triage.tasks.desk import StaffDesk
from triage.understanding import classify as understanding
from web.app import build_web_app
from web.open311.routes import Open311Api

PROCESSOR = "inbox-processor"  # a task name: stopping lets it finish its update
log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10  # how long an update in hand may take to finish at shutdown
STANDBY_CHECK_SECONDS = 1.0
IDLE_BROADCAST_CHECK_SECONDS = 60.0
RETENTION_EVERY_SECONDS = 3600.0  # purge and anonymise: at the lead, then hourly


def policy_from(settings: Settings) -> Policy:
    """The policy file's times, unless FIRECIRCLE_ACK_SLA_SECONDS or _ESCALATION_STEP_SECONDS
    are set: those override every acknowledgement time or the step (tests and demos)."""
    table, given = settings.policy, settings.model_fields_set
    ack_by = {k: timedelta(minutes=v) for k, v in table.ack_minutes_by.items()}
    ack = timedelta(minutes=table.ack_minutes)
    if "ack_sla_seconds" in given:
        ack, ack_by = timedelta(seconds=settings.ack_sla_seconds), {}
    step = timedelta(minutes=table.escalation_step_minutes)
    if "escalation_step_seconds" in given:
        step = timedelta(seconds=settings.escalation_step_seconds)
    return Policy(
        ack=ack,
        ack_by=ack_by,
        escalation_step=step,
        rectify={k: timedelta(hours=v) for k, v in table.rectify_hours.items()},
        chain=tuple(tuple(level) for level in table.chain),
        renotify=table.renotify,
        confirm_within=timedelta(hours=table.confirm_hours),
        reinspect_after=timedelta(days=table.reinspect_days),
        duplicate_radius_meters=settings.duplicate_radius_meters,
        team_depart=timedelta(minutes=table.team_depart_minutes),
        nearby_meters=table.nearby_meters,
        visit_takeover=timedelta(hours=table.visit_takeover_hours),
        street_factor=table.street_factor,
        timezone=ZoneInfo(settings.timezone),
        score_weights=dict(table.score_weights),
    )


def retention_from(settings: Settings) -> Retention:
    return Retention(
        raw_updates=timedelta(days=settings.raw_updates_days),
        anonymise_after=timedelta(days=settings.anonymise_after_days),
    )


class StartupError(Exception):
    """The service cannot start; the message is one line that says what to do."""


class Service:
    def __init__(self, settings: Settings, *, api_url: str | None = None):
        if not settings.bot_token:
            raise StartupError("setting FIRECIRCLE_BOT_TOKEN is missing (the bot's token)")
        if settings.webhook_url and not settings.webhook_secret:
            raise StartupError("setting FIRECIRCLE_WEBHOOK_SECRET is required with a webhook URL")
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.sessions = make_session_factory(self.engine)
        self.district = DistrictCache()
        self.policy = policy_from(settings)
        desks = DeskContext(
            self.sessions, self.district, self.policy, settings.district_margin_meters
        )
        self.intake = Intake(
            desks,
            default_language=settings.language,
            limits=Limits(
                reports_per_hour=settings.reports_per_hour,
                messages_per_minute=settings.messages_per_minute,
            ),
        )
        self.desk = StaffDesk(self.sessions, self.policy)
        self.console = Console(self.desk, self.policy.timezone, settings.console_url)
        self.retention = retention_from(settings)
        self.broadcasts = BroadcastDesk(self.sessions, Wording())
        self.surveys = SurveyDesk(self.sessions, SurveyWording(), timezone=self.policy.timezone)
        self.answers = AnswerDesk(self.sessions, self.intake)
        frontdesk = FrontDesk(self.sessions, self.intake, answers=self.answers)
        self.conversation = Conversation(
            self.sessions, self.intake, frontdesk, self.desk, self.broadcasts, surveys=self.surveys
        )
        services = BotServices(
            sessions=self.sessions,
            intake=self.intake,
            account=self.conversation.account,
            frontdesk=frontdesk,
            desk=self.desk,
            followup=FollowUp(self.sessions, self.intake),
            timezone=self.policy.timezone,
            broadcasts=self.broadcasts,
            conversation=self.conversation,
            abuse=AbuseDesk(self.sessions, self.policy),
            privacy=PrivacyDesk(self.sessions, self.intake, self.retention),
            teams=TeamDesk(self.sessions),
            nearby=NearbyDesk(self.sessions, self.policy),
            console=self.console,
            field=FieldDesk(desks),
            surveys=self.surveys,
        )
        self.api_url = api_url or settings.telegram_api_url
        self.app = build_application(
            token=settings.bot_token,
            api_url=self.api_url,
            services=services,
            proxy_url=settings.proxy_url,
        )
        # On SQLite every update's transaction queues for the one write lock: handling many
        # at once would only make the sender and the scheduler wait behind the queue.
        sqlite = self.engine.dialect.name == "sqlite"
        self.inbox = Inbox(
            self.sessions, self.app, chats_at_once=1 if sqlite else 16, shared=not sqlite
        )
        self.sender = OutboxSender(
            self.sessions,
            self.app.bot,
            self.policy.timezone,
            rate=settings.send_rate,
            per_chat_rate=settings.send_per_chat_rate,
        )
        self.scheduler = DeadlineScheduler(self.sessions, self.policy)
        self.open311 = Open311Api(
            ApiKeys(self.sessions, per_minute=settings.open311_requests_per_minute),
            Filing(desks),
            Reading(self.sessions),
            self.policy.timezone,
        )
        self.photos = PhotoCache(self.app.bot)  # the console's photos, through the Bot API
        self.leadership = Leadership(self.engine)
        self.leading = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.loading: asyncio.Task | None = None  # the classifier and answers, from start
        self._web: web.AppRunner | None = None
        self._listener = None

    async def check_schema(self) -> None:
        try:
            revision = await current_revision(self.engine)
        except Exception as exc:
            raise StartupError(
                f"cannot open the database ({exc.__class__.__name__}: {exc})"
            ) from None
        if revision != head_revision():
            raise StartupError(
                "the database schema is not up to date: run `firecircle db upgrade` first"
            )

    async def start(self, *, with_web: bool = True) -> None:
        await self.check_schema()
        try:
            self.leadership.claim_sqlite()
        except AlreadyRunning as where:
            raise StartupError(
                f"another firecircle serve is already using {where}; SQLite runs one instance "
                "(use PostgreSQL, FIRECIRCLE_DATABASE_URL, for several)"
            ) from None
        await self._initialize_bot()
        await self.app.start()
        self._listener = await signals.listen(self.engine)
        self._tasks = [
            asyncio.create_task(self.scheduler.run(), name="deadline-scheduler"),
            asyncio.create_task(self._lead(), name="leadership"),
        ]
        if self.inbox.shared:  # every instance handles updates, not only the leader
            self._tasks.append(asyncio.create_task(self.inbox.run_processor(), name=PROCESSOR))
        self.loading = asyncio.create_task(self._load_understanding(), name="loading")
        self._tasks.append(self.loading)
        if with_web:
            await self._start_web()
        log.info("firecircle is running as @%s", self.app.bot.username)

    async def _load_understanding(self) -> None:
        """What the first message and the first question would otherwise wait for, loaded
        now, off the event loop: the classifier (≈ 0.13 s) and the knowledge base with
        jieba's dictionary (≈ 0.9 s). A failure only leaves them to load on first use."""
        try:
            await asyncio.to_thread(understanding.load)
            await self.answers.knowledge()
        except Exception:
            log.warning("could not load the classifier and answers ahead", exc_info=True)

    async def _initialize_bot(self) -> None:
        """The bot's first call (getMe): where a wrong address, token or proxy shows."""
        try:
            with _quiet(logging.getLogger("telegram.request")):  # our line says it better
                await self.app.initialize()
        except TelegramError as exc:
            await self.app.bot.shutdown()  # its HTTP sessions opened before getMe failed
            problem = telegram_problem(exc, self.api_url, self.settings.proxy_url)
            raise StartupError(redact(problem, self.settings.secrets())) from None

    async def _lead(self) -> None:
        """Stand by until this instance holds the lead, then do the leader's work until the
        lead is lost (its database connection failed) or the service stops."""
        while True:
            if await self._try_lead():
                self.leading.set()
                try:
                    await self._leader_work()
                finally:
                    self.leading.clear()
            await asyncio.sleep(STANDBY_CHECK_SECONDS)  # another instance leads: look again soon

    async def _try_lead(self) -> bool:
        try:
            return await self.leadership.acquire()
        except Exception:
            log.exception("could not ask for the lead")
            return False

    async def _leader_work(self) -> None:
        await publish_commands(self.app)
        if self.settings.webhook_url:
            await self.app.bot.set_webhook(
                f"{self.settings.webhook_url}",
                secret_token=self.settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await self.app.bot.delete_webhook()
        work = [
            asyncio.create_task(self.sender.run(), name="outbox-sender"),
            asyncio.create_task(self._follow_broadcasts(), name="broadcast-progress"),
            asyncio.create_task(self._keep_retention(), name="retention"),
        ]
        if not self.inbox.shared:
            work.append(asyncio.create_task(self.inbox.run_processor(), name=PROCESSOR))
        if not self.settings.webhook_url:
            work.append(asyncio.create_task(self.inbox.run_polling(), name="telegram-polling"))
        lost = asyncio.create_task(self.leadership.lost(), name="leadership-watch")
        try:
            await asyncio.wait([lost, *work], return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _stop(work, lost, inbox=None if self.inbox.shared else self.inbox)

    async def _follow_broadcasts(self) -> None:
        """Update the progress of broadcasts being sent, at most every few seconds (the outbox
        holds the truth, so a restart or another leader carries on). With none sending, wait
        for the outbox to get rows, as a confirmed broadcast's tips are."""
        every = self.settings.broadcast_progress_seconds
        queued = signals.waiter(signals.OUTBOX)
        try:
            while True:
                queued.clear()
                try:
                    sending = await self.broadcasts.follow()
                except Exception:  # the database hiccuped: the counts are still there
                    log.exception("could not follow the broadcasts; retrying")
                    sending = 1
                await asyncio.sleep(every)
                if not sending:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(queued.wait(), IDLE_BROADCAST_CHECK_SECONDS)
        finally:
            signals.forget(queued)

    async def _keep_retention(self) -> None:
        """Purge old raw updates and sent messages, anonymise old closed reports; once when
        this instance takes the lead, then every hour (cutoffs are computed from the rows'
        own times, so a missed hour or a second pass changes nothing)."""
        while True:
            try:
                done = await apply_retention(self.sessions, self.retention)
                if done.updates or done.messages or done.anonymised:
                    log.info(
                        "retention: purged %d updates and %d messages, anonymised %d reports",
                        done.updates,
                        done.messages,
                        done.anonymised,
                    )
            except Exception:  # the database hiccuped: the next pass does it
                log.exception("retention pass failed; trying again in an hour")
            await asyncio.sleep(RETENTION_EVERY_SECONDS)

    async def _start_web(self) -> None:
        routes = self.open311.routes()
        if self.settings.webhook_url:
            routes.append(webhook_route(self.inbox, self.settings.webhook_secret))
        app = build_web_app(
            self.console,
            routes,
            metrics_token=self.settings.metrics_token,
            secure_cookies=self.settings.console_url.startswith("https://"),
            photos=self.photos.fetch,
        )
        self._web = web.AppRunner(app, access_log=None)
        await self._web.setup()
        site = web.TCPSite(self._web, self.settings.http_host, self.settings.http_port)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {self.settings.http_host}:{self.settings.http_port} "
                f"({exc.strerror}); set FIRECIRCLE_HTTP_PORT to a free port"
            ) from None
        if not self.settings.public_url:  # port 0 (tests, the demo): the one it got
            self.console.public_url = f"http://{self.settings.http_host}:{self.http_port}"

    @property
    def http_port(self) -> int | None:
        if self._web is None or not self._web.addresses:
            return None
        return self._web.addresses[0][1]

    async def stop(self) -> None:
        self.inbox.stop()  # the update in hand is finished, not cut (it would run twice)
        for task in self._tasks:
            if task.get_name() != PROCESSOR:
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=STOP_GRACE_SECONDS)
        if self._web is not None:
            await self._web.cleanup()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
        await self.leadership.release()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.engine.dispose()


def telegram_problem(exc: TelegramError, api_url: str, proxy_url: str | None) -> str:
    """One line for a failed getMe: what happened and which setting to check."""
    via = f" through the proxy {_without_password(proxy_url)}" if proxy_url else ""
    check = (
        "check FIRECIRCLE_TELEGRAM_API_URL, the network and FIRECIRCLE_PROXY_URL"
        if proxy_url
        else "check FIRECIRCLE_TELEGRAM_API_URL and the network (or set FIRECIRCLE_PROXY_URL)"
    )
    if isinstance(exc, InvalidToken):
        if _http_status(exc) == 404:
            return (
                f"{api_url} answered 404 to getMe: FIRECIRCLE_BOT_TOKEN is malformed, or "
                "FIRECIRCLE_TELEGRAM_API_URL is not a Bot API server"
            )
        return "Telegram 拒绝了这个 token (401): check FIRECIRCLE_BOT_TOKEN (from @BotFather)"
    if isinstance(exc, TimedOut):
        return f"cannot reach Telegram at {api_url}{via}: no answer in time; {check}"
    if isinstance(exc, NetworkError):
        return f"cannot reach Telegram at {api_url}{via} ({_reason(exc)}); {check}"
    return f"{api_url} did not answer getMe as a Bot API server ({exc.message}); {check}"


@contextlib.contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _http_status(exc: BaseException) -> int:
    """401 or 404: python-telegram-bot raises InvalidToken for both; the first one it raised
    (the deepest in the chain) carries Telegram's words or the HTTP status."""
    words = ""
    while exc is not None:
        if isinstance(exc, InvalidToken):
            words = exc.message
        exc = exc.__cause__
    return 404 if "Not Found" in words or "(404)" in words else 401


def _reason(exc: NetworkError) -> str:
    cause = exc.__cause__  # bot.transport: the system's error under aiohttp's, if any
    os_error = cause if isinstance(cause, OSError) else getattr(cause, "os_error", None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror
    return str(cause or exc.message)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


async def _stop(work: list[asyncio.Task], lost: asyncio.Task, *, inbox: Inbox | None) -> None:
    """Stop the leader's work; the inbox finishes the update in hand rather than be cut."""
    if inbox is not None:
        inbox.stop()
    lost.cancel()
    for task in work:
        if task.get_name() != PROCESSOR:
            task.cancel()
    for task in [*work, lost]:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=STOP_GRACE_SECONDS)


async def serve(settings: Settings) -> None:
    service = Service(settings)
    try:
        await service.start()
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await service.stop()

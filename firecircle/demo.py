"""`firecircle demo`: the service on the built-in emulator, a sample district, a scripted scene.

Nothing needs configuring: a temporary SQLite file, the Bot API emulator on a free port, the
sample district (东湖街道). The conversation is printed as it happens; the dashboard stays up
until Ctrl-C unless --once.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.emulator import BotApiEmulator, Player
from firecircle.sample import (
    load_sample_district,
    load_sample_sites,
    sample_staff,
    start_sample_campaign,
)
from firecircle.service import Service
from firecircle.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.types import utcnow
from triage.circle.timing import latest_call

TOKEN = "100000:DEMO-firecircle"
WIDTH = 72
HOME = (30.5418, 114.3324)  # inside 幸福社区第一网格
WORKER = 2001  # 王建国, on duty for 幸福社区第一网格
COORDINATOR_HEPING = 3002  # 吴志刚, 和平社区
COORDINATOR_XINGFU = 3001  # the console's demo login: 幸福社区
PATROL_MEMBER = 2003  # 张伟, in 幸福社区巡逻队 (the sample district's two teams: README)
OFFICER = 4001  # 何队长, the duty officer
FIRE = (30.5421, 114.3410)  # in 幸福社区, by its patrol team's base
ACK_SECONDS = 6  # the demo's ten minutes


class Stage:
    """Plays people in the chat and prints what they do and what the bot answers."""

    def __init__(self, emulator: BotApiEmulator, out: Callable[[str], None] = print):
        self.emulator = emulator
        self.out = out

    def scene(self, title: str) -> None:
        self.out(f"\n── {title} " + "─" * max(0, WIDTH - len(title) - 4))

    async def act(self, who: Player, what: str, action: Awaitable, replies: int = 1) -> None:
        self.out(f"👤 {who.user['first_name']} › {what}")
        await action
        for _ in range(replies):
            await self.until_text(who)

    async def until_text(self, who: Player) -> dict:
        """Shows what arrives in someone's chat up to the next text (media comes in between)."""
        while True:
            message = await who.next_message(timeout=10)
            self.show(who, message)
            if "text" in message:
                return message

    async def until(self, who: Player, wanted: Callable[[dict], bool]) -> dict:
        """Shows what arrives in someone's chat up to the message wanted."""
        while True:
            message = await who.next_message(timeout=10)
            self.show(who, message)
            if wanted(message):
                return message

    async def until_media(self, who: Player) -> None:
        self.show(who, await who.next_message(timeout=10))

    async def wait_text(self, who: Player) -> dict:
        """Shows what arrives in someone's chat until a text with buttons (a task card)."""
        while True:
            message = await self.until_text(who)
            if message.get("reply_markup"):
                return message

    def show(self, who: Player, message: dict) -> None:
        body = message.get("text") or message.get("caption") or _media(message)
        lines = [
            line for part in body.splitlines() for line in textwrap.wrap(part, WIDTH - 8) or [""]
        ]
        buttons = _buttons(message)
        if buttons:
            lines.append(buttons)
        self.out(f"🤖 → {who.user['first_name']}")
        for line in lines:
            self.out(f"   │ {line}")


def _media(message: dict) -> str:
    if "location" in message:
        return f"📍 [{message['location']['latitude']:.5f}, {message['location']['longitude']:.5f}]"
    return "📷 [照片]" if "photo" in message else "[…]"


def _buttons(message: dict) -> str:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    labels = [button["text"] for row in rows for button in row]
    return "  ".join(f"[{label}]" for label in labels)


async def scenario(stage: Stage) -> None:
    emu = stage.emulator
    li = emu.user(80001, "小李", language_code="zh-hans")
    anna = emu.user(80002, "Anna", language_code="en")
    wang, wu = emu.player(WORKER), emu.player(COORDINATOR_HEPING)

    stage.scene("一位居民报告楼道里的电动车飞线充电")
    await stage.act(li, "/start", li.command("/start"))
    text = "楼道里有电动车在充电，电线从三楼窗户拉下来的"
    await stage.act(li, text, li.send(text))
    await stage.act(li, "📍 发送位置", li.send_location(*HOME))
    await stage.act(li, "📷 照片", li.send_photo())
    await stage.act(li, "✅ 完成", li.tap_reply_button("✅ 完成"))

    stage.scene("网格员王建国收到任务并接单")
    task = await stage.wait_text(wang)
    await stage.act(wang, "点「接单」", wang.press(task, "接单"), replies=0)
    await stage.until_text(li)
    await stage.act(li, "/my", li.command("/my"))

    stage.scene("网格员整改完毕，发照片办结")
    await stage.act(wang, "点「办结」", wang.press_data(task, _data(task, "res")))
    note = "已清走电动车，拆除飞线，提醒住户到充电棚充电"
    await stage.act(wang, f"📷 照片：{note}", wang.send_photo(caption=note))
    await stage.until_text(li)
    await stage.until_media(li)  # the photo of the fixed state

    stage.scene("A resident shares the location first, in English")
    await stage.act(anna, "📍 location", anna.send_location(30.5455, 114.3390))
    text = "The fire exit on the 2nd floor is locked with a chain"
    await stage.act(anna, text, anna.send(text))
    await stage.act(anna, "/skip", anna.command("/skip"))

    stage.scene(f"无人接单：{ACK_SECONDS}秒后（正式为10分钟）升级到社区协调员")
    escalation = await stage.wait_text(wu)
    await stage.act(wu, "点「接手」", wu.press(escalation, "接手"), replies=0)
    await stage.until_text(anna)

    stage.scene("一位居民咨询消防问题")
    question = "灭火器过期了还能用吗？"
    await stage.act(li, question, li.send(question))

    await a_campaign_visit(stage, wang)
    await fire_met_by_a_team(stage, emu)


async def a_campaign_visit(stage: Stage, wang: Player) -> None:
    """专项排查: the worker checks a site of the sample campaign; a failing answer is a task."""
    stage.scene("专项排查：网格员用 /campaign 逐户检查")
    await stage.act(wang, "/campaign", wang.command("/campaign"), replies=0)
    await stage.until(wang, lambda m: m.get("text", "").startswith("📋"))
    await stage.act(wang, "点「🏠 幸福小区1号楼」", wang.press("🏠 幸福小区1号楼"))
    await stage.act(wang, "点「是」（楼道里有电动车充电）", wang.press("是"))
    await stage.act(wang, "点「是」（通道畅通）", wang.press("是"))
    await stage.act(wang, "2", wang.send("2"))
    await stage.act(wang, "📷 照片", wang.send_photo(), replies=0)
    await stage.until(wang, lambda m: "检查完毕" in m.get("text", ""))


async def fire_met_by_a_team(stage: Stage, emu: BotApiEmulator) -> None:
    """十分钟组织初起火灾扑救: the nearest on-duty patrol team is sent, sets off, arrives."""
    zhao, zhang, chief = emu.user(80003, "老赵"), emu.player(PATROL_MEMBER), emu.player(OFFICER)
    stage.scene("着火了：最近的巡逻队出警 / A fire, met by the nearest patrol team")
    text = "楼下车棚着火了，烟很大"
    await stage.act(zhao, text, zhao.send(text))
    await stage.act(zhao, "📍 发送位置", zhao.send_location(*FIRE))
    alert = await stage.until(zhang, lambda m: "出警" in m.get("text", ""))
    await stage.until(zhang, lambda m: "location" in m)  # the place, once the resident sent it
    await stage.act(zhang, "点「出发」", zhang.press(alert, "出发"), replies=0)
    await stage.until(zhao, lambda m: "巡逻队已出发" in m.get("text", ""))
    await stage.act(zhang, "点「到场」", zhang.press(alert, "到场"), replies=0)
    await stage.until(chief, lambda m: "已到场" in m.get("text", ""))


def _data(message: dict, action: str) -> str:
    """The callback data of a task card's button for an action (t:<action>:<report id>)."""
    first = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    return first.replace(first.split(":")[1], action, 1)


def _free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


async def run_demo(*, once: bool, port: int = 8080, out: Callable[[str], None] = print) -> int:
    with tempfile.TemporaryDirectory(prefix="firecircle-demo-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}"
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
        async with BotApiEmulator(token=TOKEN, bot_username="firecircle_demo_bot") as emulator:
            settings = Settings(
                bot_token=TOKEN,
                database_url=url,
                telegram_api_url=emulator.url,
                http_port=_free_port(port),
                ack_sla_seconds=ACK_SECONDS,
                escalation_step_seconds=ACK_SECONDS,
            )
            service = Service(settings)
            await load_sample_district(service.sessions)
            await load_sample_sites(service.sessions)
            await start_sample_campaign(service.sessions, service.policy, utcnow())
            for person in sample_staff():
                emulator.user(person["telegram_id"], person["name"], language_code="zh")
            await service.start()
            try:
                out("🧯 firecircle demo — 东湖街道示例辖区（3个社区，9个网格）")
                await scenario(Stage(emulator, out))
                met = await latest_call(service.sessions)
                out(
                    f"\n⏱ {met.reference} {met.team}：接警后 {met.depart_seconds} 秒出发，"
                    f"{met.arrive_seconds} 秒到场（承诺10分钟内）/ set off after "
                    f"{met.depart_seconds} s, there after {met.arrive_seconds} s (promise: 10 min)"
                )
                link = await service.console.link(COORDINATOR_XINGFU, minutes=24 * 60)
                out(f"\n工作台 Console（协调员 coordinator，一次性链接 one-time link）: {link}")
                out(f"专项排查 Campaigns: {link.split('/login/')[0]}/campaigns")
                if not once:
                    out("按 Ctrl-C 退出 / Ctrl-C to stop")
                    await asyncio.Event().wait()
            finally:
                await service.stop()
    return 0

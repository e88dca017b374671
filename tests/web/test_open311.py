"""Open311 GeoReport v2 against the running service and the emulator, driven by two
independent clients from PyPI: civicbot files requests, georeport reads them back."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from storage import reports as report_rows
from storage.engine import transaction
from tests.harness import INSIDE, OCEAN, PATIENCE, WORKER_1, next_text, running_service, task_card
from triage.open311.keys import ApiKeys

EBIKE = "3号楼一楼楼道有5辆电动车在充电，插线板拖在地上"


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url, open311_requests_per_minute=1000) as running:
        async with aiohttp.ClientSession() as http:
            running.http = http
            yield running


async def new_key(bot, name: str = "12345-hotline") -> str:
    return await ApiKeys(bot.sessions, per_minute=1).create(name)


def base_url(bot) -> str:
    return f"http://127.0.0.1:{bot.service.http_port}/open311/v2"


def filer(bot) -> Open311Client:
    endpoint = Endpoint(id="firecircle", name="firecircle", base_url=base_url(bot), write=True)
    return Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(0)))


async def file_ebike(bot, key: str, **extra) -> dict:
    prepared = await asyncio.to_thread(
        filer(bot).create_request,
        "ebike",
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,  # the service list and definition, read as a client would
        lat=INSIDE[0],
        lng=INSIDE[1],
        description=EBIKE,
        attributes={"ebike_count": "5", "charging": "yes"},
        first_name="张",
        phone="13812345678",
        **extra,
    )
    return prepared.response[0]


async def read(bot, reference: str) -> dict:
    return await asyncio.to_thread(GeoReport(base_url(bot)).get_service_request, reference)


async def until_status(bot, reference: str, status: str) -> dict:
    """Read the request until it shows the status (the scheduler closes it in its own time)."""
    deadline = time.monotonic() + PATIENCE
    while (found := await read(bot, reference))["status"] != status:
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.1)  # polls the API as a hotline system would; no event to await
    return found


async def test_a_request_filed_through_open311_reaches_the_worker_and_is_followed_to_closed(bot):
    key = await new_key(bot)
    answer = await file_ebike(bot, key)
    reference = answer["service_request_id"]
    assert reference.startswith("FC-") and "网格员" in answer["service_notice"]

    worker = bot.staff(WORKER_1)
    card = await task_card(worker)
    assert reference in card["text"] and "5辆电动车" in card["text"]
    assert "来源：其他系统转来（Open311）· 联系人：张 13812345678" in card["text"]

    found = await read(bot, reference)
    assert found["status"] == "open" and found["service_code"] == "ebike"
    assert found["service_name"] == "电动车违规停放充电"
    assert "幸福社区" in found["agency_responsible"]
    assert found["requested_datetime"].endswith("+08:00")
    assert found["expected_datetime"]  # the acknowledgement deadline runs
    assert "13812345678" not in str(found) and "张" not in str(found)

    await worker.callback_answer(await worker.press(card, "接单"), PATIENCE)
    await worker.wait_for(lambda: "办结" in str(worker._message(card)), PATIENCE)
    await worker.press_data(card, f"t:res:{_task_id(card)}")
    await next_text(worker)
    await worker.send("电动车已移出楼道，插线板收走")
    await next_text(worker)
    await worker.send_photo()
    assert "已办结" in (await next_text(worker))["text"]

    closed = await until_status(bot, reference, "closed")  # nobody in the chat to ask "fixed?"
    assert closed["status_notes"] == "已办结" and closed["expected_datetime"] is None
    as_xml = await asyncio.to_thread(
        GeoReport(base_url(bot), output_format="xml").get_service_request, reference
    )
    assert as_xml["status"] == "closed" and as_xml["service_code"] == "ebike"
    listed = await asyncio.to_thread(
        GeoReport(base_url(bot)).get_service_requests, service_code="ebike", status="closed"
    )
    assert [r["service_request_id"] for r in listed] == [reference]
    assert (
        await asyncio.to_thread(GeoReport(base_url(bot)).get_service_requests, status="open") == []
    )
    updates = await _get_json(bot, "servicerequestupdates.json")
    mine = [u["status"] for u in updates if u["service_request_id"] == reference]
    assert mine[0] == "OPEN" and "IN_PROGRESS" in mine and mine[-2:] == ["FIXED", "CLOSED"]


async def test_the_service_list_has_one_service_per_category_in_json_and_xml(bot):
    services = await asyncio.to_thread(GeoReport(base_url(bot)).get_service_list)
    codes = [s["service_code"] for s in services]
    assert codes[:3] == ["fire_lane", "exit_blocked", "ebike"] and "other" in codes
    assert all(s["type"] == "realtime" for s in services)
    as_xml = await asyncio.to_thread(GeoReport(base_url(bot), output_format="xml").get_service_list)
    assert [s["service_code"] for s in as_xml] == codes
    definition = await asyncio.to_thread(
        GeoReport(base_url(bot)).get_service_definition, "fire_equipment"
    )
    equipment = next(a for a in definition["attributes"] if a["code"] == "equipment")
    assert {"key": "hydrant", "name": "消火栓 (hydrant)"} in equipment["values"]


async def test_a_chat_report_reads_back_without_the_people_in_it(bot):
    resident = bot.emulator.user(1201, "王小明")
    await resident.send("楼道堆满纸箱，联系我13812345678")
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    await resident.next_message()
    found = await asyncio.to_thread(GeoReport(base_url(bot)).get_service_requests)
    assert len(found) == 1
    assert "138****5678" in found[0]["description"]
    assert "13812345678" not in str(found) and "王小明" not in str(found)
    assert "1201" not in str(found)  # no chat or Telegram id


async def test_every_refusal_is_the_specifications_error_array_and_stores_nothing(bot):
    key = await new_key(bot)
    good = {"api_key": key, "service_code": "ebike", "lat": INSIDE[0], "long": INSIDE[1]}
    cases = [
        ({**good, "api_key": ""}, 403, "api_key"),
        ({**good, "api_key": "fc311_not-a-key"}, 403, "无效"),
        ({**good, "service_code": "unicorns"}, 404, "unicorns"),
        ({**good, "service_code": ""}, 400, "service_code"),
        ({"api_key": key, "service_code": "ebike"}, 400, "位置"),
        ({**good, "lat": "north", "long": "east"}, 400, "经纬度"),
        ({**good, "lat": 91, "long": 0}, 400, "经纬度"),
        ({**good, "lat": OCEAN[0], "long": OCEAN[1]}, 400, "不在本辖区"),
        ({**good, "description": "火" * 4001}, 400, "4000"),
        ({**good, "attribute[horns]": "2"}, 400, "horns"),
        ({**good, "attribute[ebike_count]": "many"}, 400, "ebike_count"),
        ({**good, "media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"api_key": key, "service_code": "ebike", "address_string": "火星"}, 400, "网格"),
    ]
    for form, status, words in cases:
        response = await _post(bot, "requests.json", form)
        assert response.status == status, form
        [error] = await response.json()
        assert error["code"] == status and words in error["description"], error
    assert await _reports(bot) == 0

    xml = await _post(bot, "requests.xml", {**good, "api_key": ""})
    assert xml.status == 403 and "<errors><error><code>403</code>" in await xml.text()
    english = await _post(bot, "requests.json", {**good, "lat": "x", "locale": "en"})
    assert "not valid coordinates" in (await english.json())[0]["description"]
    for path, status in [
        ("requests/FC-999999.json", 404),
        ("services/unicorns.json", 404),
        ("requests.json?start_date=yesterday", 400),
        ("requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400),
        ("requests.json?status=pending", 400),
        ("requests.json?page_size=5000", 400),
        ("nothing-here.json", 404),
    ]:
        response = await _client(bot).get(f"{base_url(bot)}/{path}")
        assert response.status == status, path
        assert (await response.json())[0]["code"] == status


async def test_an_address_naming_a_grid_cell_places_the_request_there(bot):
    key = await new_key(bot)
    response = await _post(
        bot,
        "requests.json",
        {
            "api_key": key,
            "service_code": "exit_blocked",
            "address_string": "幸福社区第一网格 5栋 安全出口被锁",
            "description": "安全出口被铁链锁住",
        },
    )
    assert response.status == 200, await response.text()
    reference = (await response.json())[0]["service_request_id"]
    assert reference in (await task_card(bot.staff(WORKER_1)))["text"]


async def test_a_key_over_its_limit_is_told_when_to_come_back(database_url):
    async with (
        running_service(database_url, open311_requests_per_minute=2) as bot,
        aiohttp.ClientSession() as bot.http,
    ):
        key = await new_key(bot)
        url = f"{base_url(bot)}/services.json?api_key={key}"
        statuses = [(await _client(bot).get(url)).status for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = await _client(bot).get(url)
        assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_a_revoked_key_is_refused(bot):
    keys = ApiKeys(bot.sessions, per_minute=10)
    key = await keys.create("civic-app")
    assert (await _client(bot).get(f"{base_url(bot)}/services.json?api_key={key}")).status == 200
    await keys.revoke("civic-app")
    refused = await _client(bot).get(f"{base_url(bot)}/services.json?api_key={key}")
    assert refused.status == 403
    [entry] = await keys.list()
    assert entry.revoked_at is not None and entry.last_used_at is not None


def _task_id(task: dict) -> int:
    return int(task["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[2])


def _client(bot) -> aiohttp.ClientSession:
    return bot.http


async def _post(bot, path: str, form: dict):
    return await _client(bot).post(
        f"{base_url(bot)}/{path}", data={k: str(v) for k, v in form.items()}
    )


async def _get_json(bot, path: str):
    response = await _client(bot).get(f"{base_url(bot)}/{path}")
    assert response.status == 200
    return await response.json()


async def _reports(bot) -> int:
    async with transaction(bot.sessions) as session:
        return sum((await report_rows.count_reports_by_status(session=session)).values())

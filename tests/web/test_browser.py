"""A coordinator's shift in a real browser: headless Chromium (the distribution's chromium and
chromium-driver, as .ci/run installs them) driven by Selenium against the running service and
the Bot API emulator. Selenium blocks, so each browser step runs in a thread while the
service goes on in the event loop."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.harness import (
    PATIENCE,
    REFERENCE,
    WORKER_1,
    file_report,
    next_text,
    running_service,
    task_card,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
MISSING = "no chromium and chromedriver here: apt-get install chromium chromium-driver"
if not (CHROMIUM and DRIVER) and os.environ.get("FIRECIRCLE_TEST_REQUIRE_BROWSER"):
    raise RuntimeError(MISSING + " (FIRECIRCLE_TEST_REQUIRE_BROWSER is set: CI never skips)")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason=MISSING)
RESIDENT = 1501


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_argument("--window-size=412,915")  # a phone's screen
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.implicitly_wait(10)
    driver.downloads = downloads
    yield driver
    driver.quit()


def _by_id(driver, name: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, name)


def follow(driver, element) -> None:
    """Click what loads another page, and wait until the old one is gone."""
    from selenium.webdriver.support import expected_conditions as gone
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, PATIENCE).until(gone.staleness_of(page))


def log_in_and_filter(driver, link: str, reference: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(link)
    assert driver.current_url.endswith("/")
    assert _by_id(driver, "n-open").text.startswith("1")
    follow(driver, driver.find_element(By.LINK_TEXT, "报告"))
    Select(driver.find_element(By.NAME, "status")).select_by_value("open")
    driver.find_element(By.NAME, "q").send_keys("电动车")
    follow(driver, _by_id(driver, "apply"))
    assert "共 1 条" in _by_id(driver, "total").text
    follow(driver, driver.find_element(By.LINK_TEXT, reference))
    return _by_id(driver, "status").text


def acknowledge(driver) -> str:
    from selenium.webdriver.common.by import By

    follow(driver, _by_id(driver, "act-acknowledge").find_element(By.TAG_NAME, "button"))
    return _by_id(driver, "said").text + " | " + _by_id(driver, "status").text


def download_csv(driver) -> str:
    from selenium.webdriver.common.by import By

    follow(driver, driver.find_element(By.LINK_TEXT, "报告"))
    _by_id(driver, "csv").click()
    target = Path(driver.downloads) / "reports.csv"
    deadline = time.monotonic() + PATIENCE
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the browser writes the file on its own; nothing to await
    return target.read_bytes().decode("utf-8") if target.exists() else ""


def open_again(driver, link: str) -> str:
    driver.delete_all_cookies()
    driver.get(link)
    return driver.page_source


async def test_a_shift_in_the_browser(database_url, browser):
    async with running_service(database_url) as bot:
        reference = await file_report(bot.emulator, RESIDENT, "7栋楼道里电动车在充电，电线拉得很乱")
        worker = bot.staff(WORKER_1)
        await task_card(worker)
        await worker.command("/web")
        said = (await next_text(worker))["text"]
        link = said.split()[-1]
        assert link.startswith("http://127.0.0.1:") and "/login/" in link

        status = await asyncio.to_thread(log_in_and_filter, browser, link, reference)
        assert status == "待接单"
        resident = bot.emulator.player(RESIDENT)
        after = await asyncio.to_thread(acknowledge, browser)
        assert "已接单" in after and "处理中" in after
        told = await next_text(resident)
        assert reference in told["text"] and "接单" in told["text"]

        exported = await asyncio.to_thread(download_csv, browser)
        assert exported.startswith("\ufeffreference,") and reference in exported
        assert "电动车在充电" in exported

        again = await asyncio.to_thread(open_again, browser, link)
        assert 'id="refused"' in again and reference not in again


async def test_web_in_the_chat_is_for_staff(database_url):
    async with running_service(database_url) as bot:
        resident = bot.emulator.user(RESIDENT, "小李")
        await resident.command("/web")
        answer = (await next_text(resident))["text"]
        assert "工作人员" in answer and "/login/" not in answer
        assert REFERENCE.search(answer) is None

"""Settings and the policy file: defaults from DESIGN.md, the file, the environment's override."""

from __future__ import annotations

from datetime import timedelta

import pytest

from firecircle.service import policy_from
from firecircle.settings import SettingsError, load_settings, redact


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("FIRECIRCLE_ACK_SLA_SECONDS", "FIRECIRCLE_ESCALATION_STEP_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_defaults_are_designs(workdir):
    policy = policy_from(load_settings())
    assert policy.ack == timedelta(minutes=10) and policy.escalation_step == timedelta(minutes=10)
    assert policy.rectify_within("urgent") == timedelta(hours=2)
    assert policy.rectify_within("normal") == timedelta(hours=72)
    assert policy.top_level == 2 and policy.renotify


def test_the_policy_file_and_the_environment_override(workdir, monkeypatch):
    (workdir / "firecircle.toml").write_text(
        '[policy]\nack_minutes = 8\nack_minutes_by = { emergency = 2, "hazard.urgent" = 5 }\n'
        'chain = [["community_coordinators"], ["street_coordinators"], ["duty_officers"]]\n',
        "utf-8",
    )
    policy = policy_from(load_settings())
    assert policy.ack_within("emergency", None) == timedelta(minutes=2)
    assert policy.ack_within("hazard", "urgent") == timedelta(minutes=5)
    assert policy.ack_within("hazard", "high") == timedelta(minutes=8)
    assert policy.top_level == 3
    monkeypatch.setenv("FIRECIRCLE_ACK_SLA_SECONDS", "3")
    assert policy_from(load_settings()).ack_within("emergency", None) == timedelta(seconds=3)


@pytest.mark.parametrize(
    "table",
    [
        "ack_minutes_by = { fire = 2 }",
        "rectify_hours = { urgent = 1 }",
        'chain = [["the_mayor"]]',
        "ack_minutes = -1",
        "surprise = 1",
    ],
)
def test_a_bad_policy_is_one_line_naming_it(workdir, table):
    (workdir / "firecircle.toml").write_text(f"[policy]\n{table}\n", "utf-8")
    with pytest.raises(SettingsError, match=r"\[policy\]") as error:
        load_settings()
    assert "\n" not in str(error.value)


def test_redact_masks_secrets_and_any_token_in_an_address():
    text = "GET https://api.telegram.org/bot999:XYZ/getMe failed; secret s3cr3t-value"
    masked = redact(text, ["s3cr3t-value"])
    assert masked == "GET https://api.telegram.org/bot***/getMe failed; secret ***"

"""`firecircle apikey create|list|revoke`: a key shown once, stored hashed, stopped by name."""

from __future__ import annotations

from storage.engine import make_engine, make_session_factory
from tests.firecircle.test_residents_privacy import cli
from triage.open311.keys import ApiKeys
from triage.open311.refusals import Refused


async def admitted(url: str, key: str) -> bool:
    engine = make_engine(url)
    try:
        await ApiKeys(make_session_factory(engine), per_minute=10).admit(key)
        return True
    except Refused:
        return False
    finally:
        await engine.dispose()


async def test_a_key_is_made_listed_without_itself_and_revoked(sqlite_url, tmp_path):
    status, out, _ = await cli(sqlite_url, tmp_path, "apikey", "create", "--name", "12345-hotline")
    assert status == 0
    key = out.strip().splitlines()[-1]
    assert key.startswith("fc311_") and await admitted(sqlite_url, key)

    status, out, _ = await cli(sqlite_url, tmp_path, "apikey", "list")
    assert status == 0 and "12345-hotline" in out and key not in out and "revoked" not in out

    status, out, _ = await cli(sqlite_url, tmp_path, "apikey", "revoke", "12345-hotline")
    assert status == 0 and not await admitted(sqlite_url, key)
    assert "revoked" in (await cli(sqlite_url, tmp_path, "apikey", "list"))[1]


async def test_key_commands_that_make_no_sense_say_why(sqlite_url, tmp_path):
    await cli(sqlite_url, tmp_path, "apikey", "create", "--name", "civic-app")
    for argv, words in [
        (("apikey", "create", "--name", "civic-app"), "already a key named"),
        (("apikey", "create", "--name", "<script>"), "a key's name"),
        (("apikey", "revoke", "nobody"), "no key is named"),
    ]:
        status, out, err = await cli(sqlite_url, tmp_path, *argv)
        assert status == 1 and words in err and "nothing was changed" in err, err
    await cli(sqlite_url, tmp_path, "apikey", "revoke", "civic-app")
    status, _, err = await cli(sqlite_url, tmp_path, "apikey", "revoke", "civic-app")
    assert status == 1 and "already revoked" in err

"""Table objects built in their dict at once (storage.models.Table) are the objects SQLModel
builds: the same values, defaults and fields set, stored and read back alike; a model whose
attributes someone listens to is built SQLModel's way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, inspect
from sqlmodel import SQLModel

from storage import models
from storage.engine import transaction
from storage.models import OutboxMessage, Report, ReportDraft, Resident, Table
from storage.types import utcnow

NOW = utcnow()
TABLES = sorted(
    (m.class_ for m in SQLModel._sa_registry.mappers if issubclass(m.class_, Table)),
    key=lambda model: model.__name__,
)


def sqlmodels_way(model: type, monkeypatch: pytest.MonkeyPatch, **values):
    monkeypatch.setitem(models._DEFAULTS, model, None)
    try:
        return model(**values)
    finally:
        monkeypatch.delitem(models._DEFAULTS, model)


def fields(row) -> dict:
    """The fields' values, a time made by a default taken as "now" (each build takes its
    own)."""
    made = {
        name for name, field in type(row).model_fields.items() if field.default_factory is utcnow
    }
    return {
        name: "now" if name in made and value is not None else value
        for name, value in row.__dict__.items()
        if name in type(row).model_fields
    }


def test_every_table_is_built_in_its_dict_at_once():
    assert len(TABLES) >= 30
    assert [model for model in TABLES if models._defaults(model) is None] == []


@pytest.mark.parametrize("model", TABLES, ids=lambda model: model.__name__)
def test_a_table_object_is_the_one_sqlmodel_builds(model, monkeypatch):
    """No values given: every default; then every field given: exactly those."""
    fast, slow = model(), sqlmodels_way(model, monkeypatch)
    assert fields(fast) == fields(slow)
    assert fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__ == set()
    given = {name: slow.__dict__.get(name) for name in model.model_fields}
    fast, slow = model(**given), sqlmodels_way(model, monkeypatch, **given)
    assert fast.__dict__.keys() >= given.keys()
    assert fields(fast) == fields(slow)
    assert fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__ == set(given)
    assert inspect(fast).transient and inspect(slow).transient


def test_a_mutable_default_is_each_objects_own():
    first, second = ReportDraft(resident_id=1), ReportDraft(resident_id=2)
    first.photos.append("p1")
    first.sources["text"] = "typed"
    assert second.photos == [] and second.sources == {}


def test_an_attribute_someone_listens_to_is_set_through_its_events(monkeypatch):
    heard: list[str] = []

    def told(_target, value, _old, _initiator):
        heard.append(value)
        return value

    monkeypatch.delitem(models._DEFAULTS, Resident, raising=False)
    event.listen(Resident.name, "set", told, retval=True)
    try:
        Resident(telegram_id=1, chat_id=1, name="居民")
        assert heard == ["居民"]
    finally:
        event.remove(Resident.name, "set", told)
        models._DEFAULTS.pop(Resident, None)
    assert models._defaults(Resident) is not None


def test_values_that_are_not_fields_are_sqlmodels_to_handle():
    row = Resident(telegram_id=1, chat_id=1, not_a_field="x")
    assert "not_a_field" not in row.__dict__  # SQLModel leaves them out, as before


async def test_objects_built_at_once_are_stored_and_read_back(sessions):
    later = NOW + timedelta(minutes=10)
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=77, chat_id=77, name="居民77", created_at=NOW)
        session.add(resident)
        await session.flush()
        report = Report(
            reference="FC-900001",
            resident_id=resident.id,
            text="楼道堆放杂物",
            status="new",
            kind="hazard",
            created_at=NOW,
            updated_at=NOW,
            ack_deadline_at=later,
        )
        message = OutboxMessage(chat_id=77, method="sendMessage", payload={"text": "好"})
        session.add_all([report, message])
        await session.flush()
        ids = resident.id, report.id, message.id
        assert not session.dirty
    async with transaction(sessions) as session:
        resident = await session.get(Resident, ids[0])
        report = await session.get(Report, ids[1])
        message = await session.get(OutboxMessage, ids[2])
        assert (resident.name, resident.language, resident.created_at) == ("居民77", "zh", NOW)
        assert (report.text, report.ack_deadline_at, report.photos) == ("楼道堆放杂物", later, [])
        assert (message.payload, message.status, message.attempts) == ({"text": "好"}, "pending", 0)
        report.text = "楼道堆放纸箱"
    async with transaction(sessions) as session:
        assert (await session.get(Report, ids[1])).text == "楼道堆放纸箱"

"""The other report's number as staff type it after 标记重复 (in the chat or the console)."""

from __future__ import annotations

import pytest

from triage.tasks.desk import duplicate_reference


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("FC-000012", "FC-000012"),
        ("fc-000012", "FC-000012"),
        ("fc 12", "FC-000012"),
        ("#12", "FC-000012"),
        ("12", "FC-000012"),
        ("ＦＣ－０００１２", "FC-000012"),  # a Chinese keyboard's full-width characters
        ("ｆｃ０００１２", "FC-000012"),
        ("１２", "FC-000012"),
        ("FC—000012", "FC-000012"),
        ("和 FC-000012 是同一处", "FC-000012"),
        ("同FC-000012，FC-12", "FC-000012"),  # the same one twice
        ("FC-000012 和 FC-000013", ""),  # which one?
        ("就是楼上那条", ""),
        ("", ""),
        ("FC-", ""),
        ("FC-1234567890123", ""),  # longer than any reference
        ("ABCFC-12", ""),
    ],
)
def test_typed_numbers(typed, reference):
    assert duplicate_reference(typed) == reference

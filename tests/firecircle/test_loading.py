"""The classifier and the knowledge base are loaded when the service starts (issue 14, item
4): the first message after a start does not hold the event loop while the lexicon and the
model are built, nor does the first question wait a second for jieba and the index."""

from __future__ import annotations

from tests.harness import running_service
from triage.answers import knowledge
from triage.understanding import classify, model


async def test_the_classifier_and_the_answers_are_ready_before_anyone_writes(sqlite_url):
    for built_on_first_use in (classify._lexicon, model.shipped, knowledge._shipped_base):
        built_on_first_use.cache_clear()  # as in a fresh process
    async with running_service(sqlite_url) as bot:
        await bot.service.loading
        assert classify._lexicon.cache_info().currsize == 1
        assert model.shipped.cache_info().currsize == 1
        assert knowledge._shipped_base.cache_info().currsize == 1
        kb = await bot.service.answers.knowledge()
        assert kb is knowledge._shipped_base()  # loaded at start, not built by this call

        resident = bot.emulator.user(1701, "老周")
        await resident.send("灭火器多久检查一次？")
        answer = await resident.next_message(timeout=10)
        assert answer["text"].startswith("💡")


async def test_every_service_of_a_process_answers_from_one_index_of_the_shipped_file():
    first = knowledge.KnowledgeBase.from_shipped_file()
    assert knowledge.KnowledgeBase.from_shipped_file() is first
    tuned = knowledge.KnowledgeBase.from_shipped_file(related_at=0.5)
    assert tuned is not first and tuned.related_at == 0.5

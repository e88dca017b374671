"""A questionnaire's figures: who it reached and who answered, satisfaction per question, and
the free-text suggestions sorted into themes by the triage classifier.

Definitions (README, "Questionnaires"):
- `sent`: residents it was sent to; `started`: those who answered at least one question;
  `answered`: those who answered (or skipped) every question; `response_rate` = answered ÷ sent.
- a rating question: `answers`, `mean` (2 decimals), `satisfied_rate` = ratings of 4–5 ÷
  ratings, `counts` per star; `satisfaction_rate` overall is the same over every rating.
- a choice question: `answers` and `counts` (each option, in the file's order, with its share).
- a text question: `answers` (words given) and `skipped`.
- `themes`: each word answer goes to the category the classifier reads in it (the triage
  categories: ebike, fire_lane, …), or `other` when it reads none; most first, `other` last,
  each with its count and up to three examples (in the order they came).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from storage import surveys as rows
from storage.engine import SessionFactory, transaction
from storage.models import Survey
from triage.surveys.desk import SurveyProblem
from triage.surveys.forms import CHOICE, RATING, TEXT
from triage.understanding.classify import classify
from triage.understanding.taxonomy import Category

OTHER = "other"
ANONYMISED = "[已匿名]"  # a resident who asked to be forgotten (triage.protection.privacy)
EXAMPLES = 3
EXAMPLE_MAX = 200


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def theme_of(text: str) -> str:
    category = classify(text).category
    return str(category) if category and category != Category.OTHER else OTHER


async def results(sessions: SessionFactory, survey_id: int) -> dict[str, Any]:
    async with transaction(sessions) as session:
        survey = await session.get(Survey, survey_id)
        if survey is None:
            raise SurveyProblem(f"没有编号为 {survey_id} 的问卷", f"there is no survey {survey_id}")
        sent, started, answered = await rows.counts(session=session, survey_id=survey_id)
        answers = await rows.answers(session=session, survey_id=survey_id)
    by_question = defaultdict(list)
    for answer in answers:
        by_question[answer.question].append(answer)
    questions = []
    all_ratings: list[int] = []
    suggestions: list[str] = []
    for index, question in enumerate(survey.questions):
        given = by_question.get(index, [])
        entry: dict[str, Any] = {
            "number": index + 1,
            "type": question["type"],
            "text": question["text"]["zh"],
        }
        if question["type"] == RATING:
            ratings = [a.rating for a in given if a.rating is not None]
            all_ratings += ratings
            stars = Counter(ratings)
            entry |= {
                "answers": len(ratings),
                "mean": round(sum(ratings) / len(ratings), 2) if ratings else None,
                "satisfied_rate": _rate(stars[4] + stars[5], len(ratings)),
                "counts": {str(n): stars[n] for n in range(1, 6)},
            }
        elif question["type"] == CHOICE:
            chosen = Counter(a.choice for a in given if a.choice is not None)
            total = sum(chosen.values())
            entry |= {
                "answers": total,
                "counts": [
                    {"option": option["zh"], "count": chosen[i], "share": _rate(chosen[i], total)}
                    for i, option in enumerate(question["options"])
                ],
            }
        elif question["type"] == TEXT:
            words = [a.text for a in given if not a.skipped and a.text]
            suggestions += [w for w in words if w != ANONYMISED]  # a forgotten one: counted only
            entry |= {"answers": len(words), "skipped": sum(1 for a in given if a.skipped)}
        questions.append(entry)
    stars = Counter(all_ratings)
    return {
        "survey": survey.id,
        "title": survey.title.get("zh", ""),
        "status": survey.status,
        "sent": sent,
        "started": started,
        "answered": answered,
        "response_rate": _rate(answered, sent),
        "satisfaction_rate": _rate(stars[4] + stars[5], len(all_ratings)),
        "questions": questions,
        "themes": themes(suggestions),
    }


def themes(suggestions: list[str]) -> list[dict[str, Any]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for text in suggestions:
        grouped[theme_of(text)].append(text)
    order = sorted(grouped, key=lambda t: (t == OTHER, -len(grouped[t]), t))
    return [
        {
            "theme": theme,
            "count": len(grouped[theme]),
            "examples": [
                e if len(e) <= EXAMPLE_MAX else e[:EXAMPLE_MAX] + "…"
                for e in grouped[theme][:EXAMPLES]
            ],
        }
        for theme in order
    ]

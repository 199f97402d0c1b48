"""The digest: a line and link for the most urgent items, the rest counted, in the member's language."""

from __future__ import annotations

import datetime as dt

from coordination.notifications import templates
from coordination.notifications.templates import DigestItem, digest

DAY = dt.date(2026, 11, 25)


def items(n: int, klass: str = "overdue") -> list[DigestItem]:
    return [DigestItem("action", i + 1, f"K-2026-{i + 1:04d}", DAY - dt.timedelta(days=i % 7), klass, "nurse")
            for i in range(n)]


def test_a_digest_lists_the_most_urgent_items_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(templates, "DIGEST_LINES", 3)
    due = items(5, "due_soon") + items(4, "escalated")
    message = digest(due).message("sv")
    listed = [line for line in message.body.splitlines() if line.startswith("K-2026-")]
    assert len(listed) == 3 and all(": eskalerat" in line for line in listed)  # the escalated first
    assert "… och 6 till: arbetsytan listar alla." in message.body
    assert "4 eskalerat, 5 snart" in message.subject  # the summary counts every item
    english = digest(due).message("en").body
    assert "… and 6 more: the workspace lists them all." in english


def test_a_digest_within_the_limit_lists_every_item_and_adds_no_count(monkeypatch):
    monkeypatch.setattr(templates, "DIGEST_LINES", 9)
    message = digest(items(5, "due_soon") + items(4, "escalated")).message("sv")
    assert sum(line.startswith("K-2026-") for line in message.body.splitlines()) == 9
    assert "till: arbetsytan" not in message.body


def test_gathering_a_digest_keeps_only_the_lines_it_lists_and_says_the_same(monkeypatch):
    """The sweep gathers a recipient's items one by one (templates.DigestItems) and holds no more
    than twice the lines a digest lists, however many stream past; the message is the one the
    whole list gives, in any arrival order."""
    import random

    monkeypatch.setattr(templates, "DIGEST_LINES", 7)
    due = items(60, "due_soon") + items(50, "overdue") + items(40, "escalated") + items(30, "due_today")
    random.Random(4).shuffle(due)
    gathered = templates.DigestItems()
    for item in due:
        gathered.add(item)
        assert len(gathered._kept) < 2 * 7
    assert gathered.total == 180 and gathered.counts == {"escalated": 40, "overdue": 50, "due_today": 30,
                                                         "due_soon": 60}
    for locale in ("sv", "en"):
        assert digest(gathered).message(locale) == digest(due).message(locale)
    assert gathered.most_urgent() == sorted(due, key=templates._urgency)[:7]

"""Tests of the developing-story detector: markers fire, ordinary prose does not."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.developing import is_developing

BODY = "The council met on Tuesday.\n\nMembers voted on the budget after a long debate."


@pytest.mark.parametrize(
    "title",
    [
        "BREAKING: Bridge closed after crash",
        "Breaking news - Minister resigns",
        "Live: Election night as results come in",
        "Election night 2024 - live updates",
        "Storm hits the coast: live blog",
        "Eilmeldung: Zugverkehr eingestellt",
        "En direct : la réforme au Sénat",
        "Última hora: terremoto en la costa",
    ],
)
def test_it_fires_on_title_markers(title: str) -> None:
    assert is_developing(title, BODY)


@pytest.mark.parametrize(
    "text",
    [
        BODY + "\n\nDETAILS TO FOLLOW",
        BODY + "\n\nMore to follow.",
        "This is a developing story. " + BODY,
        BODY + "\n\nThis story is developing and will be updated.",
        BODY + "\n\n(This story is being updated.)",
        "This is a breaking news story. Please check back.\n\n" + BODY,
        BODY + "\n\nRefresh for updates.",
        BODY + "\n\n*** Details to follow ***",
        BODY + "\n\nWeitere Informationen folgen.",
        BODY + "\n\nDieser Artikel wird laufend aktualisiert.",
        "Noticia en desarrollo.\n\n" + BODY,
        BODY + "\n\nCet article sera mis à jour.",
    ],
)
def test_it_fires_on_text_markers(text: str) -> None:
    assert is_developing("Council votes on budget", text)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Growth in the country's developing economy", "The developing economy grew by 4 percent."),
        ("Plan unveiled", "Details of the plan to follow next week were unclear."),
        ("Team breaks record", "The breaking point came in the second half."),
        ("Live-Musik im Park", "Am Samstag gibt es Live-Musik im Stadtpark."),
        (
            "Concert review",
            "The band played live: a great night with more to follow in their career, fans said.",
        ),
        ("Photography", "She spent the night developing film in the darkroom."),
        (
            "Delivering the news",
            "Viewers said live updates on television were too frequent during the storm.",
        ),
        ("Interview", "He said: 'There is more to follow this summer,' adding that details would come."),
    ],
)
def test_it_ignores_ordinary_prose(title: str, text: str) -> None:
    assert not is_developing(title, text)


def test_it_handles_empty_input() -> None:
    assert not is_developing("", "")

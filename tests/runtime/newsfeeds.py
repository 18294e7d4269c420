"""A larger invented news site for the runtime tests: several feeds over a few events, many articles.

Each event is covered by several articles written from one pool of invented sentences, so the
story placer has something to group; each feed lists a slice of all the articles.
"""

from __future__ import annotations

import functools
from html import escape

from tests.fixtures.newssite import NewsSite, Story
from tests.fixtures.server import Answer, FixtureServer

EVENTS: dict[str, tuple[str, list[str]]] = {
    "bridge": (
        "Eastport harbour bridge",
        [
            "The harbour bridge in Eastport reopened to cars and cyclists after months of repairs to its steel deck.",
            "Engineers replaced hundreds of corroded plates on the harbour bridge and repainted its two towers.",
            "Jonas Berg of the regional roads agency said the bridge works finished ahead of schedule.",
            "Commuters in Eastport faced long detours while the harbour crossing was closed to traffic.",
            "Ferry operators added late services across the harbour during the bridge closure.",
            "The final cost of the bridge repairs came in slightly below the budget the council approved.",
        ],
    ),
    "storm": (
        "Storm on the northern coast",
        [
            "The national weather service issued its highest storm warning for the northern coast.",
            "Gusts above 120 kilometres an hour are expected overnight along the northern coastline.",
            "Schools in three coastal districts will stay closed while the storm warning is in force.",
            "The coast guard asked fishing crews to remain in port until the storm passes.",
            "Rail operators warned that regional lines could be suspended if trees fall onto the tracks.",
            "Residents of the coast were told to secure loose objects and avoid the seafront promenades.",
        ],
    ),
    "maps": (
        "National library maps archive",
        [
            "The national library published scans of twenty thousand historic maps on a free website.",
            "Archivists spent ten years photographing the fragile map sheets at high resolution.",
            "Researchers say the map collection shows how rivers, coastlines and borders moved over centuries.",
            "The library plans to add five thousand nautical charts to the online map archive next year.",
            "Place names on every historic map were transcribed so that readers can search the archive.",
            "Some of the digitised maps in the national library were drawn more than four centuries ago.",
        ],
    ),
    "orchestra": (
        "City orchestra season",
        [
            "The city orchestra announced a season of twelve concerts in the renovated concert hall.",
            "Conductor Elena Ruiz will lead the orchestra in three symphonies never performed in Eastport.",
            "Ticket prices for the orchestra season stay unchanged, the concert hall's director said.",
            "The orchestra will also play free open-air concerts in the old market square in summer.",
            "Young musicians from the conservatory join the orchestra for the season's opening concert.",
            "The renovated concert hall has new seats and better acoustics for the orchestra's season.",
        ],
    ),
    "vaccine": (
        "Regional flu vaccination drive",
        [
            "Health officials opened forty new flu vaccination points across the region this week.",
            "Pharmacies will offer free flu shots to everyone over sixty until the end of the month.",
            "Doctors urged parents to vaccinate young children before the flu season reaches its peak.",
            "The regional health board ordered two hundred thousand extra doses of the flu vaccine.",
            "Hospital wards are preparing for a busy flu season after a mild winter last year.",
            "Vaccination points in shopping centres will stay open in the evenings and at weekends.",
        ],
    ),
    "football": (
        "Eastport United cup run",
        [
            "Eastport United reached the national cup semi-final with a late goal in extra time.",
            "Striker Amadou Keita scored twice as Eastport United came back from two goals down.",
            "Thousands of Eastport United supporters celebrated the cup win in the streets after the match.",
            "The club's manager praised the players' spirit after the dramatic cup quarter-final.",
            "Eastport United will face the league champions in the cup semi-final next month.",
            "Tickets for the cup semi-final sold out within an hour of going on sale at the club.",
        ],
    ),
}


def event_articles(per_event: int) -> list[Story]:
    """``per_event`` articles about each event, each a different mix of its sentences."""
    stories: list[Story] = []
    for index, (event, (headline, sentences)) in enumerate(EVENTS.items()):
        for n in range(per_event):
            # A different rotation (and direction) of the event's sentences for each article, and a
            # line of its own, so no two articles have the same text.
            order = sentences[n % len(sentences) :] + sentences[: n % len(sentences)]
            picked = (order if (n // len(sentences)) % 2 == 0 else order[::-1])[:5]
            paragraphs = [f"{picked[k]} {picked[(k + 1) % 5]}" for k in range(5)]
            paragraphs.append(f"This is report {n + 1} of the Courier's coverage of the {headline.lower()}.")
            stories.append(
                Story(
                    slug=f"{event}-{n}",
                    title=f"{headline}: report {n + 1}",
                    teaser=picked[0][:80],
                    paragraphs=paragraphs,
                    author="Staff reporter",
                    hours_ago=index * 3 + n % 3 + 1,
                )
            )
    return stories


class ManyFeedsSite(NewsSite):
    """The invented news site with ``feeds`` feeds at /feed-N.xml sharing the articles between them."""

    def __init__(self, server: FixtureServer, stories: list[Story], feeds: int) -> None:
        super().__init__(server, stories)
        self.feed_urls: list[str] = []
        for number in range(feeds):
            share = stories[number::feeds]
            path = f"/feed-{number}.xml"
            self.server.routes[path] = functools.partial(self._answer_feed, share)
            self.feed_urls.append(self.server.url(path))

    def _answer_feed(self, stories: list[Story], _handler: object) -> Answer:
        return self.feed_of(stories)

    def opml(self) -> str:
        outlines = "".join(
            f'<outline type="rss" text="Courier {n}" xmlUrl="{escape(url)}"/>'
            for n, url in enumerate(self.feed_urls)
        )
        return (
            '<?xml version="1.0"?><opml version="2.0"><head><title>feeds</title></head>'
            f"<body>{outlines}</body></opml>"
        )

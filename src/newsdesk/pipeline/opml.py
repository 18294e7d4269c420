"""OPML subscription lists: read (safely, with defusedxml) and write OPML 2.0."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from newsdesk.pipeline.errors import FeedError

__all__ = ["OpmlOutline", "export_opml", "parse_opml"]


@dataclass
class OpmlOutline:
    """One subscription: the feed URL, its title and site, and the folder (category) it sits in."""

    xml_url: str
    title: str | None
    html_url: str | None
    category: str | None


def parse_opml(content: bytes) -> list[OpmlOutline]:
    """Every outline with an xmlUrl, in document order; a parent outline's text becomes the category.

    Raises FeedError (permanent) for entity declarations (billion laughs, external entities),
    malformed XML, or a document whose root is not <opml>.
    """
    try:
        root = fromstring(content)
    except DefusedXmlException as error:
        raise FeedError(f"OPML refused as unsafe: {error}", permanent=True) from error
    except ET.ParseError as error:
        raise FeedError(f"malformed OPML: {error}", permanent=True) from error
    except (ValueError, LookupError) as error:  # a declared encoding expat cannot read, or no such one
        raise FeedError(f"malformed OPML: {error}", permanent=True) from error
    if _local_name(root.tag) != "opml":
        raise FeedError(f"not an OPML document: root element is <{root.tag}>", permanent=True)
    body = next((child for child in root if _local_name(child.tag) == "body"), None)
    if body is None:
        return []
    return _collect(body)


def _collect(body: ET.Element) -> list[OpmlOutline]:
    """Walk outlines depth-first; folders (outlines without xmlUrl) name the category of their children.

    With a stack of its own, not recursion: folders nested thousands deep are still a list.
    """
    into: list[OpmlOutline] = []
    stack: list[tuple[Iterator[ET.Element], str | None]] = [(iter(body), None)]
    while stack:
        children, category = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            continue
        if _local_name(node.tag) != "outline":
            continue
        label = _attr(node, "text") or _attr(node, "title")
        xml_url = _attr(node, "xmlUrl")
        if xml_url:
            into.append(
                OpmlOutline(
                    xml_url=xml_url,
                    # export_opml writes the URL where a title is missing (text is required).
                    title=label if label != xml_url else None,
                    html_url=_attr(node, "htmlUrl"),
                    category=category,
                )
            )
        # A feed outline may itself hold outlines (rare); they stay in the enclosing folder.
        stack.append((iter(node), category if xml_url else (label or category)))
    return into


def _attr(node: ET.Element, name: str) -> str | None:
    """An attribute, stripped, matched case-insensitively (exporters write xmlUrl, xmlurl, XMLURL)."""
    lowered = name.lower()
    for key, value in node.attrib.items():
        if key.lower() == lowered:
            return value.strip() or None
    return None


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def export_opml(
    outlines: Iterable[OpmlOutline],
    title: str = "Newsdesk subscriptions",
    *,
    now: datetime | None = None,
) -> str:
    """An OPML 2.0 document: uncategorised feeds first, then one folder outline per category.

    Categories keep the order of their first appearance. Raises nothing.
    """
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC), usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for outline in outlines:
        parent = body
        if outline.category:
            if outline.category not in folders:
                folders[outline.category] = ET.Element(
                    "outline", text=outline.category, title=outline.category
                )
            parent = folders[outline.category]
        ET.SubElement(parent, "outline", _outline_attrs(outline))
    body.extend(folders.values())
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _outline_attrs(outline: OpmlOutline) -> dict[str, str]:
    label = outline.title or outline.xml_url
    attrs = {"type": "rss", "text": label, "title": label, "xmlUrl": outline.xml_url}
    if outline.html_url:
        attrs["htmlUrl"] = outline.html_url
    return attrs

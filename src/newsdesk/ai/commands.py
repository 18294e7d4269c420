"""``newsdesk ask``, ``newsdesk brief`` and ``newsdesk translate``: the AI features from the shell.

``ask QUESTION --json`` prints ``{"answer", "citations": [{"article_id", "text"}], ...}`` (the API's
answer); ``brief STORY`` writes (or with ``--force`` rewrites) a story's briefing now and prints it;
``translate ARTICLE --to fr`` translates an article now. All use the model NEWSDESK_LLM names.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    ask = commands.add_parser("ask", help="ask the desk a question; the answer cites its articles")
    ask.add_argument("question")
    ask.add_argument("--story", type=int, help="answer from this story's reports")
    ask.add_argument("--article", type=int, help="asked beside this article")
    ask.add_argument("--json", action="store_true", help='{"answer": ..., "citations": [...]}')
    ask.set_defaults(func=cmd_ask)

    brief = commands.add_parser("brief", help="write a story's briefing now with the configured model")
    brief.add_argument("story", type=int)
    brief.add_argument("--force", action="store_true", help="rewrite it even when it is current")
    brief.add_argument("--json", action="store_true", help="print the stored briefing as JSON")
    brief.set_defaults(func=cmd_brief)

    translate = commands.add_parser("translate", help="translate an article now with the configured model")
    translate.add_argument("article", type=int)
    translate.add_argument("--to", required=True, help="a language code: en, fr, de, ...")
    translate.set_defaults(func=cmd_translate)


def _setup() -> None:
    from newsdesk.cli import DB, migrate, setup_django

    setup_django(DB)
    migrate()


def cmd_ask(args: argparse.Namespace) -> int:
    from newsdesk.cli import EXIT_OK, CommandError, emit_json

    _setup()
    from newsdesk.ai.answers import QuestionError, answer
    from newsdesk.ai.language import configured_model

    try:
        found = answer(args.question, configured_model(), story=args.story, article=args.article)
    except QuestionError as problem:
        raise CommandError(str(problem)) from None
    if args.json:
        emit_json(found.as_dict())
        return EXIT_OK
    print(found.text)
    for number, citation in enumerate(found.citations, 1):
        print(f"  [{number}] article {citation['article_id']}: {citation['text']}")
    if found.mode == "extractive":
        print("(no model answer: the sentences of the reports that match best)")
    return EXIT_OK


def cmd_brief(args: argparse.Namespace) -> int:
    from newsdesk.cli import EXIT_OK, CommandError, emit_json

    _setup()
    from newsdesk.ai.briefing import brief_and_store
    from newsdesk.ai.language import HOW_TO_TURN_ON, configured_model
    from newsdesk.ai.models import StoryBriefing

    model = configured_model()
    if not model.can_generate:
        raise CommandError(HOW_TO_TURN_ON)
    result = brief_and_store(args.story, model, force=args.force)
    if result.get("reason") == "no such story":
        raise CommandError(f"no story {args.story}")
    stored = StoryBriefing.objects.get(story_id=args.story)
    if args.json:
        emit_json({"story_id": args.story, "model": stored.model_id, "sections": stored.sections, **result})
        return EXIT_OK
    for section in stored.sections:
        print(section["title"])
        for sentence in section["sentences"]:
            cited = ", ".join(str(c["article_id"]) for c in sentence["citations"])
            print(f"  {sentence['text']} [{cited}]")
    return EXIT_OK


def cmd_translate(args: argparse.Namespace) -> int:
    from newsdesk.cli import EXIT_OK, CommandError

    _setup()
    from newsdesk.ai.language import HOW_TO_TURN_ON, configured_model
    from newsdesk.ai.models import ArticleTranslation
    from newsdesk.ai.translation import TranslationError, translate_and_store

    model = configured_model()
    if not model.can_generate:
        raise CommandError(HOW_TO_TURN_ON)
    try:
        result = translate_and_store(args.article, args.to, model)
    except TranslationError as problem:
        raise CommandError(str(problem)) from None
    if result.get("reason") == "no such article":
        raise CommandError(f"no article {args.article}")
    stored = ArticleTranslation.objects.get(article_id=args.article, language=args.to)
    print(f"{stored.title}\n(machine translation by {stored.model_id})\n")
    for paragraph in stored.paragraphs:
        print(paragraph["text"] + ("" if paragraph["translated"] else "  (original)"))
    return EXIT_OK

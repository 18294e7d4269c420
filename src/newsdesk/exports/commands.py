"""Commands of this package for the newsdesk CLI (registered by newsdesk.cli.build_parser)."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    """Add this package's commands to the CLI's subparsers (none yet)."""
    del commands


__all__ = ["argparse", "register"]

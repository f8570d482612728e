"""The subcommand registry and the argument helpers they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.slack.messages import Message
from bot.workflow import Workflow


class Usage(Exception):
    """Bad arguments; the message says how to use the subcommand."""


@dataclass(frozen=True)
class Sub:
    usage: str
    help: str
    slow: bool
    run: Callable[[Workflow, str, list[str]], Message]


SUBCOMMANDS: dict[str, Sub] = {}


def subcommand(name: str, usage: str, help: str, slow: bool = False) -> Callable[..., Callable[..., Message]]:
    def add(fn: Callable[[Workflow, str, list[str]], Message]) -> Callable[[Workflow, str, list[str]], Message]:
        SUBCOMMANDS[name] = Sub(usage, help, slow, fn)
        return fn

    return add


def number(value: str, name: str, low: int, high: int) -> int:
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise Usage(f"{name} must be a number from {low} to {high}")
    return int(value)


def pairs(args: list[str], allowed: tuple[str, ...] | None, how: str) -> dict[str, str]:
    """key=value arguments (only ``allowed`` keys, when given)."""
    found: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or not key or (allowed is not None and key not in allowed):
            raise Usage(f"{arg[:60]!r} is not {how}")
        found[key.strip()] = value.strip()
    return found

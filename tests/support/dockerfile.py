"""Enough of Docker's own reading of a Dockerfile and a .dockerignore to test ours without an
engine: instructions (comments dropped, continuation lines joined), stages and their bases, the
environment each stage's ENV lines leave, exec forms, and which paths the build context keeps."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ENV, …
    args: str  # the rest of the instruction, its continuation lines joined
    line: int  # where it starts, counting from 1

    def flags(self) -> tuple[dict[str, str], str]:
        """Leading ``--name=value`` options (COPY --from, HEALTHCHECK --interval) and what follows."""
        found: dict[str, str] = {}
        rest = self.args
        while (m := re.match(r"--([a-z-]+)(?:=(\S*))?\s+", rest)) is not None:
            found[m.group(1)] = m.group(2) or ""
            rest = rest[m.end() :]
        return found, rest

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec form (ENTRYPOINT, CMD, RUN, HEALTHCHECK's CMD), or None for a
        shell form: Docker takes a string that is not a JSON array of strings as shell."""
        text = self.flags()[1].strip()
        if self.keyword == "HEALTHCHECK":
            if not text.startswith("CMD "):
                return None
            text = text.removeprefix("CMD ").strip()
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None


@dataclass
class Stage:
    base: str  # as written after FROM
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        """The stage's last ``keyword`` (the one in force); LookupError when it has none."""
        found = self.all(keyword)
        if not found:
            raise LookupError(f"the stage {self.name or self.base} has no {keyword}")
        return found[-1]


def substitute(text: str, env: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced from env (unset: empty), as Docker does in ENV values."""
    return _VARIABLE.sub(lambda m: env.get(m.group("braced") or m.group("bare"), ""), text)


def env_pairs(args: str) -> list[tuple[str, str]]:
    """An ENV instruction's pairs: ``K=V K2="v 2"``, or the old one-pair form ``K some value``."""
    words = shlex.split(args, posix=True)
    if words and "=" not in words[0]:
        return [(words[0], args.split(None, 1)[1] if len(words) > 1 else "")]
    return [(key, value) for key, _, value in (w.partition("=") for w in words)]


@dataclass
class Dockerfile:
    global_args: list[Instruction]
    stages: list[Stage]

    @classmethod
    def parse(cls, text: str) -> Dockerfile:
        instructions: list[Instruction] = []
        pending: list[str] = []
        start = 0
        for number, raw in enumerate(text.splitlines(), 1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue  # Docker drops comment lines, within continuations too
            if not pending:
                start = number
            continued = stripped.endswith("\\")
            pending.append(raw.rstrip()[:-1] if continued else raw)
            if not continued:
                keyword, _, args = " ".join(pending).strip().partition(" ")
                instructions.append(Instruction(keyword.upper(), args.strip(), start))
                pending = []
        if pending:
            raise ValueError(f"line {start}: the last instruction ends in a continuation")
        global_args: list[Instruction] = []
        stages: list[Stage] = []
        for inst in instructions:
            if inst.keyword == "FROM":
                words = inst.flags()[1].split()
                name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
                stages.append(Stage(words[0], name))
            elif not stages:
                if inst.keyword != "ARG":
                    raise ValueError(f"line {inst.line}: only ARG may come before the first FROM")
                global_args.append(inst)
            else:
                stages[-1].instructions.append(inst)
        return cls(global_args, stages)

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def command(self) -> list[str]:
        """What a container of the final stage runs: its ENTRYPOINT then its CMD, exec forms."""
        entrypoint, cmd = self.final.last("ENTRYPOINT").exec_form(), self.final.last("CMD").exec_form()
        if entrypoint is None or cmd is None:
            raise ValueError("ENTRYPOINT or CMD in shell form: /bin/sh -c would run it, not PID 1")
        return entrypoint + cmd

    def stage(self, name: str) -> Stage:
        (found,) = [s for s in self.stages if s.name == name]
        return found

    def parent(self, stage: Stage) -> Stage | None:
        """The earlier stage this one is built FROM, if its base names one."""
        earlier = self.stages[: self.stages.index(stage)]
        named = [s for s in earlier if s.name == stage.base]
        return named[-1] if named else None

    def image(self, stage: Stage) -> str:
        """The registry image a stage starts from, through the stages it is built on."""
        parent = self.parent(stage)
        return stage.base if parent is None else self.image(parent)

    def env(self, stage: Stage, base: dict[str, str]) -> dict[str, str]:
        """The environment the stage's ENV lines (and those of the stages it is built on) leave,
        starting from the base image's ``base``."""
        parent = self.parent(stage)
        env = dict(base) if parent is None else self.env(parent, base)
        for inst in stage.all("ENV"):
            for key, value in env_pairs(inst.args):
                env[key] = substitute(value, env)
        return env


@dataclass(frozen=True)
class DockerIgnore:
    """A .dockerignore: the last pattern that matches a path (or one of its parent folders)
    decides, ``!`` keeps; ``*`` and ``?`` stay within one path segment, ``**`` spans any number."""

    patterns: list[tuple[bool, list[str]]]  # (keeps, the pattern's segments)

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        patterns = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            keeps = line.startswith("!")
            line = line.removeprefix("!").strip().strip("/")
            patterns.append((keeps, [s for s in line.split("/") if s not in ("", ".")]))
        return cls(patterns)

    def excludes(self, path: str) -> bool:
        parts = [p for p in path.strip("/").split("/") if p not in ("", ".")]
        excluded = False
        for keeps, pattern in self.patterns:
            if any(_segments_match(pattern, parts[:n]) for n in range(1, len(parts) + 1)):
                excluded = not keeps
        return excluded

    def excluded_files(self, root: Path, source: str) -> list[str]:
        """The files under ``source`` (relative to the context root) that the context leaves out:
        none when it keeps all of them."""
        top = root / source
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        return [str(f.relative_to(root)) for f in files if self.excludes(str(f.relative_to(root)))]


def _segments_match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_segments_match(pattern[1:], parts[n:]) for n in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pattern[0]) and _segments_match(pattern[1:], parts[1:])

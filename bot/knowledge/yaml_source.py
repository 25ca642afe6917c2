"""Safe YAML reading that remembers where every value came from.

Maintainers edit the knowledge base by hand, so every error must point at a file and a line.
PyYAML's plain `safe_load` forgets positions; this loader keeps them on the mappings and
lists it builds, and refuses the things that could hurt a running bot (aliases that expand
exponentially, huge files, bytes that are not UTF-8, arbitrary Python tags).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# A runaway or hostile file fails fast. The largest real one, route_examples.yaml (each message
# under every place that answers it), is about 2.8 MB and parses in a tenth of a second.
MAX_FILE_BYTES = 4_000_000
MAX_ALIASES = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the knowledge base, phrased for the person who can fix it."""

    file: str
    line: int | None
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}:{field} {self.message}{hint}"


class KnowledgeError(Exception):
    """Raised when the knowledge base cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LineDict(dict):
    """A mapping that knows the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows the line of each of its items (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml (C) when the installed PyYAML has it: reading the knowledge base is then fast enough
# for thousands of services; the pure-Python loader gives the same results, only slower.
_SAFE_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SAFE_BASE):  # type: ignore[misc, valid-type]
    """Safe loader that records the line of every key and list item."""

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be plain text", key_node.start_mark
                )
            key = str(key)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"'{key}' appears twice in the same block; keep one",
                    key_node.start_mark,
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):  # type: ignore[no-untyped-def]
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


def _construct_line_dict(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    return loader.construct_mapping(node, deep=True)


def _construct_line_list(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    return loader.construct_sequence(node, deep=True)


def _construct_plain_string(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates, times and 'no'/'yes' stay as the maintainer typed them; the schema decides.
    return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_line_dict)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_line_list)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_plain_string)


def read_yaml(path: Path, display_name: str) -> tuple[Any, list[Problem]]:
    """Read one YAML file; return its data, or None plus the problems that stopped it."""
    raw, problem = _read_plain_file(path, display_name)
    if problem:
        return None, [problem]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [
            Problem(
                display_name,
                line,
                "",
                "is not UTF-8 text",
                "save the file as UTF-8 in your editor",
            )
        ]
    if not text.strip():
        return None, [Problem(display_name, None, "", "is empty", "add content or remove the file")]
    try:
        _refuse_alias_bombs(text)
        data = yaml.load(text, Loader=_LineLoader)
        if data is None:  # only comments (or `---`): as empty as an empty file
            return None, [Problem(display_name, None, "", "is empty: it holds only comments",
                                  "add its content; see knowledge/README.md")]
        return data, []
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        what = error.problem or error.context or "is not valid YAML"
        return None, [
            Problem(
                display_name,
                line,
                "",
                f"YAML syntax: {what}",
                "check indentation, and put text with ':' or '#' in quotes",
            )
        ]
    except yaml.YAMLError as error:
        return None, [Problem(display_name, None, "", f"YAML: {error}")]


def _read_plain_file(path: Path, display_name: str) -> tuple[bytes, Problem | None]:
    """The bytes of a regular file of at most MAX_FILE_BYTES. Type and size are checked on the
    open file before reading: a FIFO would block for ever and /dev/zero never ends, so a
    `*.yaml` that is one of those is refused, not read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens without waiting
    except OSError as error:
        return b"", Problem(display_name, None, "", f"cannot be read: {error.strerror}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return b"", Problem(display_name, None, "", "is not a regular file",
                                "a knowledge file must be a plain file, not a pipe, device "
                                "or directory")
        with open(fd, "rb", closefd=False) as file:
            raw = file.read(MAX_FILE_BYTES + 1) if info.st_size <= MAX_FILE_BYTES else b""
    finally:
        os.close(fd)
    size = max(info.st_size, len(raw))
    if size > MAX_FILE_BYTES:
        return b"", Problem(display_name, None, "",
                            f"is {size:,} bytes, more than the {MAX_FILE_BYTES:,} allowed",
                            "split it into smaller files")
    return raw, None


def _refuse_alias_bombs(text: str) -> None:
    """Aliases (&a / *a) can make a few lines expand to gigabytes ('billion laughs'): count
    them in the event stream before anything is built."""
    if "*" not in text:
        return  # an alias is written *name: no star, no alias, nothing to count
    aliases = 0
    for event in yaml.parse(text, Loader=_SAFE_BASE):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "too many YAML aliases (&/*); write the values out",
                    event.start_mark,
                )

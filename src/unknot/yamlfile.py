"""Reading hand-written YAML with every mistake reported at its file and line.

PyYAML composes the document into nodes that remember where they stand; `Field` wraps a node and
reads it through typed accessors, so a wrong type, an unknown key or a missing field is reported
as `file:line: field: what is wrong; expected what`. Nothing here ever lets a traceback through
for a bad file: every failure is an `UnknotError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unknot.errors import UnknotError
from unknot.files import MAX_BYTES, read_bytes
from unknot.names import closest
from unknot.numbers import MAX_CHARS, whole

if TYPE_CHECKING:
    import yaml


_TAG = "tag:yaml.org,2002:"
_TYPE_NAMES = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "a yes/no value",
    "null": "nothing (null)",
    "map": "a mapping (key: value)",
    "seq": "a list",
}


def read_text(path: Path, *, what: str, max_bytes: int = MAX_BYTES) -> str:
    """The file's text, or one clear error if it is missing, not a regular file (a directory,
    a FIFO, a device), unreadable, larger than `max_bytes` or not text."""
    return decode(read_bytes(path, what=what, max_bytes=max_bytes), where=str(path), what=what)


def decode(data: bytes, *, where: str, what: str) -> str:
    """UTF-8 text without a byte-order mark; binary data is refused with its offset."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise UnknotError(
            f"is binary (a NUL byte at offset {nul})", where=where, expected=f"a UTF-8 YAML {what}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnknotError(
            f"is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})",
            where=where,
            expected=f"a UTF-8 YAML {what}",
        ) from None
    return text.removeprefix("\ufeff")


def parse(text: str, *, where: str, what: str) -> Field:
    """The document's root as a `Field`; bad YAML is reported at its line and column."""
    import yaml  # here, not at the top: a cached catalog or routine needs no YAML at all

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        problem = err.problem or err.context or "not valid YAML"
        raise UnknotError(f"bad YAML: {problem}", where=at, expected=f"a YAML {what}") from None
    except yaml.reader.ReaderError as err:
        problem = f"character {err.character!r} at offset {err.position} is not allowed in YAML"
        raise UnknotError(problem, where=where, expected=f"a YAML {what}") from None
    except yaml.YAMLError as err:
        first_line = str(err).splitlines()[0] if str(err) else "not valid YAML"
        raise UnknotError(
            f"bad YAML: {first_line}", where=where, expected=f"a YAML {what}"
        ) from None
    except RecursionError:
        raise UnknotError(
            "bad YAML: nested too deeply", where=where, expected=f"a YAML {what}"
        ) from None
    if node is None:
        raise UnknotError("is empty", where=where, expected=f"a YAML {what}")
    return Field(node, source=where, path="")


def load(path: Path, *, what: str) -> Field:
    """Read and parse one YAML file."""
    return parse(read_text(path, what=what), where=str(path), what=what)


class Field:
    """One YAML node, where it came from, and typed ways to read it."""

    def __init__(self, node: yaml.Node, *, source: str, path: str) -> None:
        self.node = node
        self.source = source
        self.path = path

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def error(self, what: str, expected: str = "") -> UnknotError:
        """An error about this field, ready to raise."""
        return UnknotError(what, where=self.where, field=self.path, expected=expected)

    def _child(self, node: yaml.Node, name: str) -> Field:
        path = f"{self.path}.{name}" if self.path and not name.startswith("[") else self.path + name
        return Field(node, source=self.source, path=path)

    @property
    def kind(self) -> str:
        """'map', 'seq' or the scalar's resolved type ('str', 'int', 'float', 'bool', 'null')."""
        node_type = type(self.node).__name__
        if node_type == "MappingNode":
            return "map"
        if node_type == "SequenceNode":
            return "seq"
        tag = str(self.node.tag)
        return tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag

    def describe(self) -> str:
        """What this field holds, in words, for error messages."""
        if self.kind in ("map", "seq"):
            return _TYPE_NAMES[self.kind]
        value = str(self.node.value)
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{_TYPE_NAMES.get(self.kind, self.kind)} {shown!r}"

    def _expect(self, kind: str, expected: str) -> None:
        if self.kind != kind:
            raise self.error(f"is {self.describe()}", expected)

    def mapping(
        self, allowed: Sequence[str], *, required: Sequence[str] = (), expected: str = ""
    ) -> dict[str, Field]:
        """The mapping's fields by key; unknown or missing keys are errors."""
        self._expect("map", expected or f"a mapping with {', '.join(allowed)}")
        fields: dict[str, Field] = {}
        for key_node, value_node in self.node.value:
            name = Field(key_node, source=self.source, path=self.path)
            if name.kind != "str":
                raise name.error(f"has a key that is {name.describe()}", "text keys")
            key = str(key_node.value)
            if key not in allowed:
                near = closest(key, allowed)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise name.error(f"unknown field {key!r}{hint}", f"one of: {', '.join(allowed)}")
            if key in fields:
                raise name.error(f"field {key!r} is given twice", "each field once")
            fields[key] = self._child(value_node, key)
        for key in required:
            if key not in fields:
                raise self.error(f"missing field {key!r}", f"a mapping with {key!r}")
        return fields

    def items(self, *, expected: str) -> Iterator[tuple[str, Field]]:
        """A mapping with free-form text keys (names of areas, poses), in order."""
        self._expect("map", expected)
        seen: set[str] = set()
        for key_node, value_node in self.node.value:
            name = Field(key_node, source=self.source, path=self.path)
            if name.kind != "str":
                raise name.error(f"has a key that is {name.describe()}", "text keys")
            key = str(key_node.value)
            if key in seen:
                raise name.error(f"{key!r} is given twice", "each name once")
            seen.add(key)
            yield key, self._child(value_node, key)

    def sequence(self, *, expected: str) -> list[Field]:
        """The list's items (a lone value is not taken for a list of one)."""
        self._expect("seq", expected)
        return [self._child(n, f"[{i + 1}]") for i, n in enumerate(self.node.value)]

    def string(self, *, expected: str = "text") -> str:
        if self.kind != "str" or not str(self.node.value).strip():
            raise self.error(f"is {self.describe()}", expected)
        return str(self.node.value).strip()

    def strings(self, *, expected: str) -> list[str]:
        """A list of text, or one text taken as a list of one."""
        if self.kind == "str":
            return [self.string(expected=expected)]
        return [item.string(expected=expected) for item in self.sequence(expected=expected)]

    def boolean(self) -> bool:
        self._expect("bool", "true or false")
        return bool(self.scalar())

    def integer(self, *, low: int, high: int, unit: str = "") -> int:
        """A whole number as written, in decimal: not YAML 1.1's octal (`010` is ten here, not
        eight), hexadecimal, `1_000` or base 60 (`1:30`), and never thousands of digits."""
        expected = f"a whole number from {low} to {high}{unit}"
        self._expect("int", expected)
        text = str(self.node.value)
        value = whole(text)
        if value is None:
            problem = "too long to be read" if len(text) > MAX_CHARS else "not in decimal digits"
            raise self.error(f"is {self.describe()}, {problem}", expected)
        if not low <= value <= high:
            raise self.error(f"{value}{unit} is out of range", expected)
        return value

    def scalar(self) -> Any:
        """The scalar's Python value as YAML's safe rules construct it (a number too long to be
        one is refused before Python spends its time on it)."""
        import yaml

        if self.kind in ("int", "float") and len(str(self.node.value)) > MAX_CHARS:
            raise self.error(f"is {self.describe()}, too long for a number", "a plain value")
        try:
            return yaml.constructor.SafeConstructor().construct_object(self.node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as err:
            raise self.error(f"cannot be read ({err})", "a plain value") from None

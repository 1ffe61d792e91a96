"""CSV in and out of jobs: reading an upload, matching its columns to fields,
writing cells a spreadsheet will not run as formulas, the error report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings

from accounts import errors
from crm.metadata.types import FieldSpec, ObjectType, normalize

#: A cell starting with one of these is a formula to a spreadsheet (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Table:
    """A parsed CSV: its header and its rows as (line number, cells)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise errors.ValidationFailed("The file is not UTF-8 (or Windows-1252) text.")


def take(upload) -> bytes:
    """An uploaded file's bytes; ValidationFailed past IMPORT_MAX_BYTES,
    before reading it."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise errors.ValidationFailed(
            f"The file is larger than {settings.IMPORT_MAX_BYTES // 2**20} MB.",
            field="file",
        )
    return upload.read()


def read(data: bytes) -> Table:
    """The header and the non-blank rows of a CSV upload (comma, semicolon,
    tab or bar separated). ValidationFailed when it is empty, not text, or
    past the size or row limits."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise errors.ValidationFailed(
            f"The file is larger than {settings.IMPORT_MAX_BYTES // 2**20} MB.",
            field="file",
        )
    text = _decode(data)
    if "\x00" in text:
        raise errors.ValidationFailed("The file is not a CSV file.", field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    limit = settings.IMPORT_MAX_ROWS
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                continue
            if len(rows) >= limit:
                raise errors.ValidationFailed(
                    f"Import at most {limit:,} rows at a time.", field="file"
                )
            width = len(header)
            cells = (cells + [""] * width)[:width]
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise errors.ValidationFailed(
            f"The file is not valid CSV: {exc}", field="file"
        ) from None
    if header is None or not rows:
        raise errors.ValidationFailed(
            "The file needs a header row and at least one row of data.", field="file"
        )
    return Table(header=header, rows=rows)


def importable(object_type: ObjectType, operation: str) -> list[FieldSpec]:
    """The fields an import may fill: the writable ones, and ``id`` for an
    update (or an upsert by id)."""
    specs = list(object_type.writable_fields)
    if operation in ("update", "upsert"):
        specs.insert(0, object_type.fields["id"])
    return specs


def auto_map(object_type: ObjectType, header: Sequence[str], operation: str):
    """The field of each column: matched by name (any spelling) or label,
    ignoring case; "" when none matches or an earlier column took it."""
    specs = importable(object_type, operation)
    allowed = {spec.name for spec in specs}
    by_label = {spec.label.strip().lower(): spec.name for spec in specs}
    chosen: list[str] = []
    for title in header:
        spec = object_type.find_field(title) if title else None
        name = spec.name if spec is not None and spec.name in allowed else ""
        name = name or by_label.get(title.strip().lower(), "")
        name = name or by_label.get(normalize(title).replace("_", " "), "")
        chosen.append("" if name in chosen else name)
    return chosen


def check_mapping(
    object_type: ObjectType,
    header: Sequence[str],
    mapping: Sequence[str],
    operation: str,
    key_field: str,
) -> None:
    """ValidationFailed unless ``mapping`` names, per column, an importable
    field (or "") with no field twice, and the key an operation needs."""
    allowed = {spec.name for spec in importable(object_type, operation)}
    if len(mapping) != len(header):
        raise errors.ValidationFailed("Map each column of the file.", field="mapping")
    used = [name for name in mapping if name]
    problems = [
        errors.FieldError(
            "mapping", f"'{name}' is not a field an import of this kind may fill."
        )
        for name in used
        if name not in allowed
    ]
    problems += [
        errors.FieldError("mapping", f"Two columns are mapped to '{name}'.")
        for name in sorted({n for n in used if used.count(n) > 1})
    ]
    if not used:
        problems.append(errors.FieldError("mapping", "Map at least one column."))
    needed = "id" if operation == "update" else key_field
    if needed and needed not in used:
        problems.append(
            errors.FieldError("mapping", f"Map a column to '{needed}' to match by.")
        )
    if problems:
        raise errors.ValidationFailed.from_errors(problems)


def row_data(mapping: Sequence[str], cells: Sequence[str]) -> dict[str, str]:
    """A row's payload: each mapped, non-empty cell under its field."""
    return {
        name: cell for name, cell in zip(mapping, cells, strict=False) if name and cell
    }


# -- out ---------------------------------------------------------------------------


def escape(value: Any) -> str:
    """A cell as text; text a spreadsheet would run as a formula gets a
    leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = orjson.dumps(value).decode()
    elif not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def lines(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, every cell escaped."""
    writer = csv.writer(_Echo())
    return "".join(writer.writerow([escape(v) for v in row]) for row in rows)


def error_report(header: Sequence[str], failures: Iterable) -> Iterator[str]:
    """The refused rows of an import as CSV: the line, the cells as read and
    what was wrong with them."""
    yield lines([["line", *header, "error"]])
    for failure in failures:
        problems = "; ".join(
            f"{p['field']}: {p['message']}" if p.get("field") else p["message"]
            for p in failure.problems
        )
        cells = failure.cells or [""] * len(header)
        yield lines([[failure.row, *cells, problems]])

"""Data input/output for perfrules: reading data files, cleaning cells,
matching columns to rule inputs and writing results.

Importing this package is cheap: pyarrow, openpyxl and numpy are imported
only inside the functions that need them, and the readers, writers and column
mapping only when one of their names is first used (`perfrules check` reaches
this package through the cell parsers, and needs none of them).
"""

from importlib import import_module

from .cells import BLANK_MARKERS, CellError, is_blank, parse_bool, parse_date, parse_decimal, parse_text
from .errors import ColumnWarning, DataError, MappingError, ReaderError, WriterError

_LAZY = {
    **dict.fromkeys(("ColumnPlan", "InputSpec", "load_mapping", "normalise_header", "resolve_columns"), "mapping"),
    **dict.fromkeys(("FORMATS", "Record", "RecordSource", "detect_encoding", "detect_format", "open_records"), "readers"),
    **dict.fromkeys(("WRITE_FORMATS", "write_rows"), "writers"),
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

__all__ = [
    "BLANK_MARKERS",
    "CellError",
    "ColumnPlan",
    "ColumnWarning",
    "DataError",
    "FORMATS",
    "InputSpec",
    "MappingError",
    "ReaderError",
    "Record",
    "RecordSource",
    "WRITE_FORMATS",
    "WriterError",
    "detect_encoding",
    "detect_format",
    "is_blank",
    "load_mapping",
    "normalise_header",
    "open_records",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "parse_text",
    "resolve_columns",
    "write_rows",
]


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

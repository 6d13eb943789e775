"""Data input/output for perfrules: reading data files, cleaning cells,
matching columns to rule inputs and writing results.

Importing this package is cheap: pyarrow, openpyxl and numpy are imported
only inside the functions that need them.
"""

from .cells import BLANK_MARKERS, CellError, is_blank, parse_bool, parse_date, parse_decimal, parse_text
from .errors import DataError, MappingError, ReaderError, WriterError
from .mapping import ColumnPlan, InputSpec, load_mapping, normalise_header, resolve_columns
from .readers import FORMATS, Record, RecordSource, detect_encoding, detect_format, open_records
from .writers import WRITE_FORMATS, write_rows

__all__ = [
    "BLANK_MARKERS",
    "CellError",
    "ColumnPlan",
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

"""Score the records of a data file with a ruleset.

Reads CSV (UTF-8 with or without BOM, GB18030/GBK), XLSX, JSON, JSONL, Parquet or Arrow.
Columns match inputs by name, declared alias (input … from "列名"), a --map file, or a
normalised header ("实际支出（万元）" matches 实际支出). Every record appears in the output:
as a result, or as an error row that names the field and why.

Without -o a readable table goes to the terminal (the indicator breakdown when there are
only a few records). With -o the results are written as CSV, XLSX, JSON, JSONL or Parquet,
by the file's extension or --format. A summary goes to stderr (--summary-json FILE for tools).

Exit status: 0 when the file was evaluated (even with error rows; see --strict),
1 when the rule file has errors, 2 when the data file cannot be used,
3 with --strict when any record is an error row.
"""
from __future__ import annotations

import sys

HELP = "score a data file"


def configure(p) -> None:
    p.add_argument("rules", metavar="RULES", help="the rule file")
    p.add_argument("--data", required=True, metavar="FILE", help="data file: .csv .xlsx .json .jsonl .parquet .arrow")
    p.add_argument("-o", "--output", metavar="FILE", help="write results here (format from the extension)")
    p.add_argument("--format", choices=("csv", "xlsx", "json", "jsonl", "parquet", "table"), help="output format")
    p.add_argument("--id", dest="id_column", metavar="COLUMN", help="the column that identifies a record (e.g. 单位名称)")
    p.add_argument("--as-of", metavar="DATE", help="evaluation date for time progress and as_of (YYYY-MM-DD)")
    p.add_argument("--map", dest="mapping", metavar="FILE", help='JSON {"data column": "input name"} for other headers')
    p.add_argument("--encoding", help="text encoding of a CSV/JSON file (default: detect UTF-8/BOM/GB18030)")
    p.add_argument("--sheet", help="XLSX sheet name or 1-based number (default: the first)")
    p.add_argument("--backend", choices=("row", "reference"), default="row", help="evaluator (reference: the exact oracle)")
    p.add_argument("--detail", action="store_true", help="print the indicator breakdown of every record")
    p.add_argument("--summary-json", metavar="FILE", help="also write the summary as JSON")
    p.add_argument("--strict", action="store_true", help="exit 3 when any record is an error row")


def run(args) -> int:
    from datetime import date

    from ..api import CompileError, load
    from ..diagnostics import render_all
    from ..io import DataError
    from ..pipeline import DataProblem, Summary, evaluate_file, flat_columns, flatten

    lang = args.lang
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        print(f"--as-of 应为日期 YYYY-MM-DD：{args.as_of}" if lang == "zh" else f"--as-of takes a date YYYY-MM-DD: {args.as_of}", file=sys.stderr)
        return 2
    try:
        rules = load(args.rules)
    except CompileError as err:
        print(render_all([d for d in err.diagnostics if d.is_error], err.sources, lang), file=sys.stderr)
        return 1
    except OSError as err:
        print(f"无法读取规则文件 {args.rules}：{err.strerror}" if lang == "zh" else f"cannot read {args.rules}: {err.strerror}", file=sys.stderr)
        return 2
    summary = Summary()
    try:
        results = evaluate_file(rules, args.data, encoding=args.encoding, sheet=args.sheet, mapping_path=args.mapping,
                                id_column=args.id_column, as_of=as_of, backend=args.backend)
        fmt = args.format or ("table" if not args.output else None)
        if fmt == "table":
            _print_table(rules, results, summary, lang, args.detail)
        else:
            from ..io import write_rows

            def rows():
                for r in results:
                    summary.add(r)
                    yield flatten(rules, r, lang)

            write_rows(rows(), args.output, fmt=fmt, columns=flat_columns(rules, lang))
    except DataProblem as err:
        print(f"错误[{err.code}]：{args.data}：{err.zh}" if lang == "zh" else f"error[{err.code}]: {args.data}: {err.en}", file=sys.stderr)
        return 2
    except (DataError, OSError) as err:
        msg = getattr(err, "message_zh" if lang == "zh" else "message_en", None) or str(err)
        print(f"{args.data}: {msg}", file=sys.stderr)
        return 2
    print(summary.text(lang), file=sys.stderr)
    if args.summary_json:
        import orjson
        with open(args.summary_json, "wb") as fh:
            fh.write(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2))
    return 3 if args.strict and summary.errors else 0


def _print_table(rules, results, summary, lang, detail) -> None:
    from ..report import detail as detail_report
    from ..report import listing

    collected = []
    for r in results:
        summary.add(r)
        collected.append(r)
    if detail or len(collected) <= 3:
        for r in collected:
            print(detail_report(r, lang))
            print()
    if len(collected) > 1:
        print(listing(collected, lang))

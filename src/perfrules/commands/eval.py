"""Score the records of a data file with a ruleset.

Reads CSV (UTF-8 with or without BOM, GB18030/GBK), XLSX, JSON, JSONL, Parquet or Arrow.
Columns match inputs by name, declared alias (input … from "列名"), a --map file, or a
normalised header ("实际支出（万元）" matches 实际支出). Every record appears in the output:
as a result, or as an error row that names the field and why.

Without -o a readable table goes to the terminal (the indicator breakdown when there are
only a few records). With -o the results are written as CSV, TSV, XLSX, JSON, JSONL, Parquet or Arrow,
by the file's extension or --format, streaming in batches (memory stays bounded however large
the file). A summary goes to stderr (--summary-json FILE for tools); a progress line too when
stderr is a terminal.

Many departments in one file: --rulesets DIR scores each record with the ruleset under DIR
whose `applies to` names the record's unit (column 单位名称, 部门, 单位 …, or --unit-column);
--routes FILE gives the unit → rule file mapping as JSON instead. The output has the union of
the rulesets' columns and a 规则集 (ruleset) column; a record no ruleset applies to is an error row.

Exit status: 0 when the file was evaluated (even with error rows; see --strict),
1 when a rule file has errors, 2 when the data file cannot be used,
3 with --strict when any record is an error row, 130 on Ctrl-C and 143 on SIGTERM (no
output file is left behind, half-written or not).
"""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from ..oserrors import os_reason


HELP = "score a data file"


def configure(p) -> None:
    p.add_argument("rules", metavar="RULES", nargs="?", help="the rule file (not with --rulesets/--routes)")
    p.add_argument("--data", required=True, metavar="FILE", help="data file: .csv .xlsx .json .jsonl .parquet .arrow")
    p.add_argument("-o", "--output", metavar="FILE", help="write results here (format from the extension); without -o, "
                   "--format csv/tsv/json/jsonl writes to stdout")
    p.add_argument("--format", choices=("csv", "tsv", "xlsx", "json", "jsonl", "parquet", "arrow", "table"),
                   help="output format")
    p.add_argument("--id", dest="id_column", metavar="COLUMN", help="the column that identifies a record (e.g. 单位名称)")
    p.add_argument("--as-of", metavar="DATE", help="evaluation date for time progress and as_of (2024-06-30, 2024/6/30, 2024年6月30日 or 20240630)")
    p.add_argument("--map", dest="mapping", metavar="FILE", help='JSON {"data column": "input name"} for other headers (it wins over a column named like the input)')
    p.add_argument("--encoding", help="text encoding of a CSV/JSON file (default: detect UTF-8/BOM/GB18030)")
    p.add_argument("--sheet", help="XLSX sheet name or 1-based number, hidden sheets counted (default: the first visible sheet)")
    p.add_argument("--backend", choices=("columnar", "row", "reference"), default="columnar",
                   help="evaluator: columnar (default, whole columns at a time), row (generated code), "
                        "reference (the exact oracle); all give the same results")
    p.add_argument("--rulesets", metavar="DIR", help="route each record to the rule file under DIR that applies to its unit")
    p.add_argument("--routes", metavar="FILE", help='JSON {"unit": "rule file"} routing records to rule files')
    p.add_argument("--unit-column", metavar="COLUMN", help="the column naming a record's unit (default: the first of 单位名称, 部门, 单位, 部门名称, 预算单位, 预算单位名称, 单位全称)")
    p.add_argument("--columns", choices=("all", "scores", "total"), default="all",
                   help="result columns in the output file: all (default); scores (no leaf values); "
                        "total (status, error, total, grades, outputs, alerts)")
    p.add_argument("--detail", action="store_true", help="print the indicator breakdown of every record")
    p.add_argument("--summary-json", metavar="FILE", help="also write the summary as JSON")
    p.add_argument("--strict", action="store_true", help="exit 3 when any record is an error row")


def _say(lang: str, zh: str, en: str) -> None:
    print(zh if lang == "zh" else en, file=sys.stderr)


def _dated(rulesets, as_of) -> tuple[list, list[str], list[str]]:
    """Without --as-of: (the rulesets whose scores read the evaluation date, every alert that
    reads it, those of the other rulesets). Said after the run, unless the data carried each
    record's own date."""
    if as_of is not None:
        return [], [], []
    from .. import ir

    every: dict[str, None] = {}  # alert names in order, once (routed rulesets share fiscal.rules)
    noted: dict[str, None] = {}  # (a ruleset scoring with the date is warned of as a whole)
    for rs in rulesets:
        lets = {st.key: st.expr for st in rs.program.steps if isinstance(st, ir.LetStep)}
        mine = [(a.name, None) for a in rs.program.alerts if ir.mentions_slot(a.cond, "as_of", lets)]
        every.update(mine)
        if not rs.scores_use_as_of:
            noted.update(mine)
    return [rs for rs in rulesets if rs.scores_use_as_of], list(every), list(noted)


def _warn_no_as_of(dated, summary, lang: str) -> None:
    """Rules that read the evaluation date, run without --as-of or dates in the data: say so
    (what depends on it is missing, so totals change silently otherwise). An alert on the date
    (支出进度低于序时进度) is not judged: no warning (a year-end run needs none), but a note, as
    the summary's "0 alerts" must not read as "none fired"; --summary-json lists them."""
    scoring, every, noted = dated
    if summary.own_dates:
        return
    for rs in scoring:
        name = rs.id or "规则"
        _say(lang, f"警告：{name} 用到评价时点（as_of，如序时进度），但没有给出 --as-of：依赖它的指标按缺失处理",
             f"warning: {rs.id or 'the rules'} read the evaluation date (as_of, e.g. time progress) but no --as-of "
             "was given: what depends on it is missing")
    summary.alerts_not_judged = every
    if noted:
        _say(lang, f"说明：预警 {'、'.join(noted)} 用到评价时点（as_of），没有给出 --as-of，未作判断",
             f"note: alert {', '.join(noted)} reads the evaluation date (as_of); without --as-of it is not judged")


def _warn_unknown_mapping_targets(rulesets, mapping, lang: str) -> None:
    """A --map target that is no input of the rules: its column feeds nothing. Reported only
    with a missing column before; an input with a default then took its default silently."""
    if not mapping:
        return
    names = {s.name for rs in rulesets for s in rs.inputs}
    unknown = sorted({v for v in mapping.values() if v not in names})
    if unknown:
        _say(lang, "警告：列对照（--map）里的 " + "、".join(unknown) + " 不是规则里的输入项，对应的列没有用上",
             "warning: the --map file names " + ", ".join(unknown) + ", which are not inputs of the rules; "
             "those columns are not used")


def run(args) -> int:
    import warnings

    from ..io.errors import ColumnWarning

    said = set()  # (routed data: every ruleset reading the column would say it again)

    def show(message, category, *rest):
        if issubclass(category, ColumnWarning):
            if str(message) not in said:
                said.add(str(message))
                _say(args.lang, f"警告：{message.message_zh}", f"warning: {message.message_en}")
        else:
            shown(message, category, *rest)

    with warnings.catch_warnings():
        shown = warnings.showwarning
        warnings.simplefilter("always", ColumnWarning)
        warnings.showwarning = show
        return _evaluate(args)


def _evaluate(args) -> int:
    import tempfile
    from ..memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts: see perfrules.memory
    lang = args.lang
    from ..io.cells import CellError, parse_date

    try:
        # The spellings a date cell may have: 2024-06-30, 2024/6/30, 2024.6.30, 2024年6月30日, 20240630.
        as_of = parse_date(args.as_of) if args.as_of else None
    except CellError as e:
        _say(lang, f"--as-of {e.message_zh}", f"--as-of: {e.message_en}")
        return 2
    if args.sheet is not None and not _is_workbook(args.data):
        # a sheet asked of a CSV was ignored in silence: the user may have given the wrong file
        _say(lang, f"警告：--sheet 只用于 XLSX 文件，{args.data} 不是，已忽略",
             f"warning: --sheet applies to XLSX files only; {args.data} is not one, so it is ignored")
    routed = bool(args.rulesets or args.routes)
    if routed == bool(args.rules) or (args.rulesets and args.routes):
        _say(lang, "请给出一个规则文件，或 --rulesets 目录，或 --routes 文件（三者选一）",
             "give one rule file, or --rulesets DIR, or --routes FILE (exactly one)")
        return 2
    if args.format == "table" and args.output:
        # The table is for the terminal: with -o it used to print and leave the file unwritten.
        _say(lang, f"--format table 只显示在终端，不写文件；要写 {args.output}，去掉 --format 或给出文件格式（csv、xlsx、json……）",
             f"--format table is shown on the terminal, not written to a file; to write {args.output}, "
             "drop --format or give a file format (csv, xlsx, json, …)")
        return 2
    fmt = args.format or ("table" if not args.output else None)
    table_out = None
    if routed and fmt == "table":
        # Routed results have each ruleset's own columns: score into a temporary JSONL, then list it.
        table_out = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
        args.output, fmt = table_out, "jsonl"
    to_stdout = None
    if args.output is None and fmt in ("csv", "tsv", "json", "jsonl"):
        # Text results without -o go to stdout: written to a temporary file first (the writers
        # replace their target only on success), then copied out.
        to_stdout = tempfile.NamedTemporaryFile(suffix="." + fmt, delete=False).name
        args.output = to_stdout
    elif args.output is None and fmt not in (None, "table"):
        _say(lang, f"--format {fmt} 需要 -o 输出文件（二进制格式不写到终端）",
             f"--format {fmt} needs -o FILE (binary formats are not written to the terminal)")
        return 2
    if args.output and to_stdout is None and table_out is None:
        problem = (_output_problem(args.output, args.data, fmt)
                   or _overwrites_input(args.output, "输出文件", "the output", args))
        if problem:
            _say(lang, *problem)
            return 2
    if args.summary_json:
        # Found before any work: a folder or a missing folder was an internal error after scoring.
        problem = (_summary_problem(args.summary_json, args.data)
                   or _overwrites_input(args.summary_json, "--summary-json", "--summary-json", args))
        if not problem and args.output and _same_path(args.summary_json, args.output):
            # the summary was written over the results after scoring: every result lost, exit 0
            problem = (f"--summary-json {args.summary_json} 与输出文件（-o）是同一个文件：汇总会覆盖结果，请换一个文件名",
                       f"--summary-json {args.summary_json} is the output file (-o): the summary would overwrite the "
                       "results; choose another name")
        if problem:
            _say(lang, *problem)
            return 2
    try:
        return _run(args, lang, as_of, routed, fmt, table_out, to_stdout)
    finally:
        if to_stdout is not None and os.path.exists(to_stdout):
            os.unlink(to_stdout)


def _is_workbook(data: str) -> bool:
    """The data file is read as XLSX (by its first bytes, as the readers decide: an .xlsx saved
    as .csv is one); a file that cannot be opened is said to be by the reader, not here."""
    from ..io import ReaderError
    from ..io.readers import data_format

    try:
        return data_format(Path(data)) == "xlsx"
    except (ReaderError, OSError):
        return True


def _is_data_file(out: Path, data: str) -> bool:
    """`out` names the data file itself (writing it would destroy the input)."""
    try:
        return out.exists() and Path(data).exists() and os.path.samefile(out, data)
    except OSError:
        return False


def _same_path(a: str, b: str) -> bool:
    """`a` and `b` name one file, whether or not it exists yet (links followed)."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):
        return False


def _overwrites_input(path: str, what_zh: str, what_en: str, args) -> tuple[str, str] | None:
    """Why writing `path` would destroy an input other than the data file (the rule file, the
    --map or --routes file): found before any work, or None. A JSON result or summary written
    over routes.json or a mapping file replaced it without a word."""
    for given, zh, en in ((args.rules, "规则文件", "rule file"), (args.mapping, "列对照文件（--map）", "--map file"),
                          (args.routes, "路由文件（--routes）", "--routes file")):
        if given and _is_data_file(Path(path), given):
            return (f"{what_zh} {path} 就是{zh}本身：会覆盖它，请换一个文件名",
                    f"{what_en} {path} is the {en} itself: it would be overwritten; choose another name")
    return None


def _summary_problem(path: str, data: str) -> tuple[str, str] | None:
    """Why --summary-json cannot be written, found before any work (zh, en), or None."""
    out = Path(path)
    if out.is_dir():
        return f"--summary-json {path} 是一个文件夹，请给出文件名（如 {out / '汇总.json'}）", \
            f"--summary-json {path} is a directory; give a file name (e.g. {out / 'summary.json'})"
    if not out.parent.is_dir():
        return f"--summary-json {path}：文件夹 {out.parent} 不存在", f"--summary-json {path}: no folder {out.parent}"
    if _is_data_file(out, data):
        return f"--summary-json {path} 就是数据文件本身：会覆盖数据，请换一个文件名", \
            f"--summary-json {path} is the data file itself: it would be overwritten; choose another name"
    return None


def _output_problem(output: str, data: str, fmt: str | None = None) -> tuple[str, str] | None:
    """Why -o cannot be written, found before any work (zh, en), or None."""
    from ..io import WriterError
    from ..io.writers import writable_format

    out = Path(output)
    try:
        writable_format(out, fmt)
    except WriterError as err:  # (an .xlsm was written as a plain workbook after all the work)
        return err.message_zh, err.message_en
    if out.is_dir():
        return f"输出路径 {output} 是一个文件夹，请给出文件名（如 {out / '结果.xlsx'}）", \
            f"the output {output} is a directory; give a file name (e.g. {out / 'results.xlsx'})"
    if _is_data_file(out, data):
        return f"输出文件 {output} 就是数据文件本身：会覆盖数据，请换一个文件名", \
            f"the output {output} is the data file itself: it would be overwritten; choose another name"
    if not out.parent.is_dir():  # was found when the first results were written: after reading
        # the whole file for rules with population functions
        if out.parent.exists():
            return f"无法写入输出文件 {output}：{out.parent} 不是文件夹", f"cannot write {output}: {out.parent} is not a folder"
        return f"无法写入输出文件 {output}：文件夹 {out.parent} 不存在", f"cannot write {output}: no folder {out.parent}"
    return None


def _run(args, lang, as_of, routed, fmt, table_out, to_stdout) -> int:
    from ..api import CompileError, load
    from ..diagnostics import render_all
    from ..io import DataError
    from ..pipeline import DataProblem, Summary

    summary = Summary(as_of=None if as_of is None else as_of.isoformat())
    progress = Progress(lang) if args.output and sys.stderr.isatty() else None
    try:
        mapping = _mapping(args.mapping)
        if routed:
            from ..routing import RouteProblem, routes_from_dir, routes_from_file, run_routed

            try:
                routes = routes_from_dir(args.rulesets) if args.rulesets else routes_from_file(args.routes)
            except RouteProblem as err:
                if err.compile_error is not None:
                    ce = err.compile_error
                    print(render_all([d for d in ce.diagnostics if d.is_error], ce.sources, lang), file=sys.stderr)
                _say(lang, f"错误[{err.code}]：{err.zh}", f"error[{err.code}]: {err.en}")
                return 1 if err.compile_error is not None or err.code == "PR805" else 2
            dated = _dated(routes.rulesets, as_of)
            _warn_unknown_mapping_targets(routes.rulesets, mapping, lang)
            summary.grades_in_order(routes.rulesets)
            try:
                run_routed(routes, args.data, args.output, unit_column=args.unit_column, out_fmt=fmt, encoding=args.encoding,
                           sheet=args.sheet, mapping=mapping, id_column=args.id_column, as_of=as_of, lang=lang,
                           backend=args.backend, summary=summary, progress=progress, columns=args.columns,
                           warn=lambda m: _say(lang, f"警告：{m}", f"warning: {m}"))
                if table_out is not None:
                    _print_routed_table(table_out, lang)
            finally:
                if table_out is not None:
                    os.unlink(table_out)
        else:
            try:
                rules = load(args.rules)
            except CompileError as err:
                print(render_all([d for d in err.diagnostics if d.is_error], err.sources, lang), file=sys.stderr)
                return 1
            except OSError as err:
                _say(lang, f"无法读取规则文件 {args.rules}：{os_reason(err)}", f"cannot read {args.rules}: {err.strerror}")
                return 2
            dated = _dated([rules], as_of)
            _warn_unknown_mapping_targets([rules], mapping, lang)
            summary.grades_in_order([rules])
            if fmt == "table":
                from ..pipeline import evaluate_file

                backend = "row" if args.backend == "columnar" else args.backend
                results = evaluate_file(rules, args.data, encoding=args.encoding, sheet=args.sheet, mapping_path=args.mapping,
                                        id_column=args.id_column, as_of=as_of, backend=backend, summary=summary)
                _print_table(rules, results, summary, lang, args.detail)
            else:
                from ..batch import run_file

                run_file(rules, args.data, args.output, out_fmt=fmt, encoding=args.encoding, sheet=args.sheet,
                         mapping=mapping, id_column=args.id_column, as_of=as_of, lang=lang, backend=args.backend,
                         summary=summary, progress=progress, columns=args.columns)
    except DataProblem as err:
        if progress is not None:
            progress.clear()
        _say(lang, f"错误[{err.code}]：{args.data}：{err.zh}", f"error[{err.code}]: {args.data}: {err.en}")
        return 2
    except (DataError, OSError) as err:
        if progress is not None:
            progress.clear()
        msg = getattr(err, "message_zh" if lang == "zh" else "message_en", None) or str(err)
        # name the file at fault: the data file, a --map file or the output file
        where = getattr(err, "path", None) or getattr(err, "filename", None)
        if isinstance(err, OSError) and not isinstance(err, DataError) and where is None:
            import errno

            reason = os_reason(err, lang)
            if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) and args.output:
                # a buffered write names no file; only the output is written
                msg = (f"无法写入输出文件 {args.output}：{reason}" if lang == "zh"
                       else f"cannot write output file {args.output}: {reason}")
            elif err.strerror:
                msg = reason
        print(f"{where}: {msg}" if where and str(where) not in msg else msg, file=sys.stderr)
        return 2
    if to_stdout is not None:
        import shutil

        sys.stdout.flush()
        with open(to_stdout, "rb") as fh:
            if fh.read(3) != b"\xef\xbb\xbf":  # no BOM on a pipe (it is there for Excel's sake)
                fh.seek(0)
            shutil.copyfileobj(fh, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    _warn_no_as_of(dated, summary, lang)
    print(summary.text(lang), file=sys.stderr)
    if args.summary_json:
        import orjson
        try:
            with open(args.summary_json, "wb") as fh:
                fh.write(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2))
        except OSError as err:  # e.g. no permission: the results are written, the summary is not
            _say(lang, f"无法写入 --summary-json {args.summary_json}：{os_reason(err)}",
                 f"cannot write --summary-json {args.summary_json}: {err.strerror}")
            return 2
    return 3 if args.strict and summary.errors else 0


def _mapping(path):
    if not path:
        return None
    from ..io import load_mapping

    return load_mapping(path)


class Progress:
    """One self-rewriting line on stderr (only used when stderr is a terminal)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.rows = 0
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, src, rows: int, at: int = 0) -> None:
        """`rows` more records scored; `at`: the file position of the last of them (the
        source's own position runs ahead of scoring by the pieces read in advance)."""
        self.rows += rows
        now = time.perf_counter()
        if now - self.last < 0.2:
            return
        self.last = now
        rate = self.rows / max(now - self.t0, 1e-9)
        pct = ""
        done = at or getattr(src, "bytes_done", 0)
        if getattr(src, "bytes_total", 0) and done:
            pct = f" {100 * done / src.bytes_total:5.1f}%"
        text = (f"\r已评分 {self.rows:,} 条{pct}（每秒 {rate:,.0f} 条）" if self.lang == "zh"
                else f"\rscored {self.rows:,} records{pct} ({rate:,.0f}/s)")
        sys.stderr.write(text)
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()

    def done(self) -> None:
        self.clear()


def _print_routed_table(path: str, lang: str) -> None:
    import orjson

    from ..pipeline import HEADERS
    from ..report import table

    h = HEADERS[lang]
    rows = []
    with open(path, "rb") as fh:
        for line in fh:
            r = orjson.loads(line)
            who = r.get(h["id"]) or str(r.get(h["row"]) or "")
            # the alert names, as the one-ruleset table shows them ("[预警] 名称: 消息; …" in the file)
            alerts = ", ".join(_ALERT_NAME.findall(r.get(h["alerts"]) or ""))
            rows.append([who, r.get(h["ruleset"]) or "—", r.get(h["total"]) or "—", r.get(h["grade"]) or "—",
                         r.get(h["error"]) or alerts])
    print(table([h["id"], h["ruleset"], h["total"], h["grade"], h["alerts"] + " / " + h["error"]], rows, {2}))


_ALERT_NAME = re.compile(r"(?:^|; )\[[^\]]+\] (.+?): ")


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

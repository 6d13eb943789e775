"""Run the `test` blocks of rule files, like a test runner.

Every *.rules file under PATHS (default: the current folder) is compiled; a file that does not
compile is a failure showing its diagnostics. Each `test "…" { given {…} expect {…} }` block is
scored on both the compiled row evaluator and the reference interpreter (they must agree), and
every expectation is checked: total, grade, PATH / PATH.score, PATH.value (at the precision
written: 96.62% compares value × 100 rounded half up to 2 decimals), outputs, alert NAME,
no alert NAME, error CODE.

When searching folders, hidden folders and checker cases (files with `# E: PR…` expectations)
are skipped; a file named on the command line is always run.

Exit status: 0 when every test passes, 1 when any fails or a file does not compile,
2 when a PATH does not exist, 5 when no test block was found (or none matches -k).
"""
from __future__ import annotations

import sys

HELP = "run the test blocks of rule files"


def configure(p) -> None:
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="rule files or folders (default: .)")
    p.add_argument("--format", choices=("text", "junit"), help="text for people (default), junit for CI (XML)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the JUnit XML here (implies --format junit; the text report still goes to stdout)")
    p.add_argument("-k", dest="select", metavar="TEXT", help="only the tests whose name contains TEXT")


def run(args) -> int:
    import time

    from ..testing import render_junit, render_text, run_file, discover, summary_counts

    lang = args.lang
    # -o writes JUnit XML; it used to be ignored unless --format junit was given as well.
    if args.format == "text" and args.output:
        print("-o 写的是 JUnit XML：与 --format text 不能同用" if lang == "zh" else
              "-o writes JUnit XML: it does not go with --format text", file=sys.stderr)
        return 2
    fmt = args.format or ("junit" if args.output else "text")
    missing = [p for p in args.paths if not _exists(p)]
    if missing:
        for p in missing:
            print(f"找不到 {p}" if lang == "zh" else f"no such file or folder: {p}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    files = [run_file(f, args.select) for f in discover(args.paths)]
    seconds = time.perf_counter() - started
    if fmt == "junit":
        xml = render_junit(files, lang, seconds)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(xml)
            sys.stdout.write(render_text(files, lang, sys.stdout.isatty(), seconds))
        else:
            sys.stdout.write(xml)
    else:
        sys.stdout.write(render_text(files, lang, sys.stdout.isatty(), seconds))
    passed, failed = summary_counts(files)
    if failed:
        return 1
    if not passed and args.select and any(f.deselected for f in files):
        print(f"没有名称含“{args.select}”的测试（-k）" if lang == "zh" else f"no test name contains {args.select!r} (-k)",
              file=sys.stderr)
    return 0 if passed else 5


def _exists(p: str) -> bool:
    from pathlib import Path

    return Path(p).exists()

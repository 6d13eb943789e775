"""Check rule files and report every problem with file, line, column, caret and hint.

Exit status: 0 when no file has errors (warnings allowed), 1 when any has errors, a file cannot
be read or a folder holds no rule file.
"""
from __future__ import annotations

import sys


from ..oserrors import os_reason


HELP = "check rule files for errors"


def configure(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="rule files (.rules) or folders to search")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text for people, json for tools")
    p.add_argument("--no-warnings", action="store_true", help="show errors only")


def rule_files(paths) -> list[str]:
    from pathlib import Path

    out = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(str(f) for f in sorted(path.rglob("*.rules")))
        else:
            out.append(str(path))
    return out


def run(args) -> int:
    from ..api import check
    from ..diagnostics import render_all, summary_line, to_dict

    failed = False
    everything = []
    color = sys.stdout.isatty() and args.format == "text"
    from pathlib import Path

    for p in args.files:  # a folder with no rule file in it was checked in silence, exit 0
        if Path(p).is_dir() and not rule_files([p]):
            print(f"{p}：文件夹里没有 .rules 文件" if args.lang == "zh" else f"{p}: no .rules file in this folder", file=sys.stderr)
            failed = True
    for f in rule_files(args.files):
        try:
            comp = check(f)
        except OSError as err:
            msg = f"无法读取 {f}：{os_reason(err)}" if args.lang == "zh" else f"cannot read {f}: {err.strerror}"
            print(msg, file=sys.stderr)
            failed = True
            if args.format == "json" and isinstance(err, FileNotFoundError):
                # A tool reading the JSON saw nothing wrong with a file that is not there.
                from ..diagnostics.model import Diagnostic
                from ..source import Span
                everything.append(to_dict(Diagnostic("PR701", Span(f, 0, 0, 1, 1, 1, 1), {"path": f}), args.lang))
            continue
        diags = [d for d in comp.diagnostics if d.is_error or not args.no_warnings]
        failed = failed or any(d.is_error for d in diags)
        if args.debug and comp.debug_trace:
            print(comp.debug_trace, file=sys.stderr)
        if args.format == "json":
            everything.extend(to_dict(d, args.lang) for d in diags)
            continue
        if diags:
            print(render_all(diags, comp.sources, args.lang, color))
            print(f"{f}: {summary_line(diags, args.lang)}\n")
        else:
            print(f"{f}: OK" if args.lang == "en" else f"{f}：没有问题")
    if args.format == "json":
        import orjson  # (here: every command's module is imported to build the parser)

        sys.stdout.write(orjson.dumps(everything, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 1 if failed else 0

"""Format rule files in the canonical style, keeping every comment.

Style: 2-space indent, one declaration or statement per line, ASCII operators and punctuation
(≥ ＝ （ ） ， ； → become >= = ( ) , ; ->), numbers, names and strings as written. A block of
bands, linear points, match cases, grades or test items stays on one line when it was written
on one line and fits in 100 columns; otherwise it opens with one item per line (items written
together on a line stay together while they fit). The arrows of an opened block and the
end-of-line comments of consecutive lines are lined up. An expression wider than 100 columns
(a long alert condition or sum) breaks after the `or`/`and`/`+`/`-` operators of its top level,
continuation lines indented two levels. Blank lines are kept (at most one).
Formatting twice changes nothing, and the result is checked to mean exactly what the file
meant before anything is written. A file is written back in its own encoding and line endings
(UTF-8, with its BOM if it had one, or GB18030).

FILE may be a folder (every *.rules inside, hidden folders and `# E:` checker cases skipped)
or `-` to format standard input to standard output. A file with syntax errors is not
formatted: its diagnostics are shown.

Exit status: 0 when done (or, with --check, when nothing would change); 1 when --check finds
a file to reformat, or a file has syntax errors or cannot be read.
"""
from __future__ import annotations

import sys

HELP = "format rule files in the canonical style"


def configure(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="rule files or folders; - for standard input")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 listing the files that would change")
    p.add_argument("--diff", action="store_true", help="change nothing; print a unified diff of what would change")


def run(args) -> int:
    from ..syntax.printer import FormatterBug, SyntaxProblems, format_text

    lang = args.lang
    zh = lang == "zh"
    changed, unchanged, failed = [], 0, 0
    for target in _targets(args.files):
        name = "<stdin>" if target == "-" else str(target)
        try:
            before, encoding = _read(target)
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or str(err)
            if isinstance(err, UnicodeDecodeError):
                line = err.object[:err.start].count(b"\n") + 1
                reason = (f"第 {line} 行有不是 UTF-8 的字节（文件可能损坏），未格式化" if zh else
                          f"line {line} has bytes that are not UTF-8 (the file may be damaged); not formatted")
            print(f"无法读取 {name}：{reason}" if zh else f"cannot read {name}: {reason}", file=sys.stderr)
            failed += 1
            continue
        try:
            after = format_text(before, name)
        except SyntaxProblems as err:
            from ..diagnostics import render_all

            print(render_all(err.diagnostics, err.sources, lang, sys.stderr.isatty()), file=sys.stderr)
            print(f"{name}：有语法错误，未格式化" if zh else f"{name}: has syntax errors; not formatted", file=sys.stderr)
            failed += 1
            continue
        except FormatterBug as err:
            print(f"perfrules 内部错误：无法格式化 {name}（{err}）；文件未改动，请报告给维护者" if zh else
                  f"perfrules internal error: cannot format {name} ({err}); the file is unchanged, please report it",
                  file=sys.stderr)
            failed += 1
            continue
        if after == before:
            unchanged += 1
            if target == "-" and not (args.check or args.diff):
                sys.stdout.write(after)
            continue
        changed.append(name)
        if args.diff:
            sys.stdout.write(_diff(name, before, after))
        if args.check:
            print(f"需要重新格式化：{name}" if zh else f"would reformat {name}", file=sys.stderr if args.diff else sys.stdout)
        elif not args.diff:
            if target == "-":
                sys.stdout.write(after)
            else:
                _write(target, after, encoding)
    if args.files != ["-"]:  # a filter (editors) gets the text only
        print(_summary(len(changed), unchanged, args.check or args.diff, zh, failed), file=sys.stderr)
    if failed:
        return 1
    return 1 if args.check and changed else 0


def _targets(paths):
    from ..testing import discover

    out = []
    for p in paths:
        out.extend(["-"] if p == "-" else discover([p]))
    return out


def _read(target) -> tuple[str, str]:
    """The text, and the encoding to write it back in: a file is rewritten as it was stored
    (UTF-8 with its BOM, or GB18030 as Windows editors save it) — formatting a GB18030 file
    turned it into UTF-8, which an editor set to GBK then showed as mojibake."""
    data = sys.stdin.buffer.read() if target == "-" else open(target, "rb").read()
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as err:
        from ..source import mostly_utf8

        if mostly_utf8(data.decode("utf-8-sig", errors="replace")):
            raise  # UTF-8 with broken bytes: read as GB18030 it would be rewritten as mojibake
        return data.decode("gb18030"), "gb18030"  # strict: never rewrite a file we could not read exactly


def _write(path, text: str, encoding: str = "utf-8") -> None:
    with open(path, "wb") as fh:  # bytes: keep the file's line endings as printed
        fh.write(text.encode(encoding))


def _diff(name: str, before: str, after: str) -> str:
    import difflib

    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=name, tofile=name + " (formatted)")
    out = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    return out


def _summary(changed: int, unchanged: int, dry: bool, zh: bool, failed: int = 0) -> str:
    # the files that could not be formatted are counted too: "0 reformatted, 0 unchanged" for a
    # file with syntax errors read as if there had been nothing to do
    if zh:
        verb = "需要重新格式化" if dry else "已重新格式化"
        return f"{changed} 个文件{verb}，{unchanged} 个文件无需改动" + (f"，{failed} 个文件无法格式化" if failed else "")
    verb = "would be reformatted" if dry else "reformatted"
    return f"{changed} file(s) {verb}, {unchanged} file(s) unchanged" + (f", {failed} file(s) could not be formatted" if failed else "")

"""The command line: `perfrules check|eval|compile …`. Parses arguments, calls the API, sets
exit codes. Each command lives in perfrules/commands/; this module only wires them up."""
from __future__ import annotations

import argparse
import locale
import os
import sys
import traceback

COMMANDS = ("check", "eval", "compile", "test", "fmt", "schema")


def default_lang() -> str:
    """zh or en from PERFRULES_LANG or the locale. Chinese comes first: a locale that names no
    language (C, POSIX, C.UTF-8, unset) gives Chinese; only an explicit English one gives English."""
    for var in ("PERFRULES_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return _lang_of(value)
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return _lang_of(loc)


def _lang_of(value: str) -> str:
    v = value.lower()
    if v.startswith("en"):
        return "en"
    if v.startswith("zh") or v in ("", "c", "posix") or v.startswith(("c.", "posix.")):
        return "zh"
    return "en"  # another language: English is the more widely read fallback


# argparse's own messages (a missing or unknown option, a bad choice) in Chinese: the language
# asked for on the command line, else default_lang(); set by main() before parsing
_ARGPARSE_ZH = (
    (r"^the following arguments are required: (.*)$", r"缺少参数：\1"),
    (r"^unrecognized arguments: (.*)$", r"无法识别的参数：\1"),
    (r"^argument (.*?): invalid choice: (.*) \(choose from (.*)\)$", r"参数 \1 的值 \2 无效（可选：\3）"),
    (r"^argument (.*?): expected one argument$", r"参数 \1 后面要写一个值"),
    (r"^argument (.*?): expected at least one argument$", r"参数 \1 后面至少要写一个值"),
    (r"^argument (.*?): invalid (.*) value: (.*)$", r"参数 \1 的值 \3 无效（应为 \2）"),
    (r"^argument (.*?): not allowed with argument (.*)$", r"参数 \1 不能与 \2 同时使用"),
    (r"^ambiguous option: (.*) could match (.*)$", r"选项 \1 不明确，可能是 \2"),
)
_cli_lang = "zh"


def _lang_in(argv: list[str]) -> str:
    for i, a in enumerate(argv):
        if a.startswith("--lang="):
            value = a.split("=", 1)[1]
        elif a == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        else:
            continue
        if value in ("zh", "en"):
            return value
    return default_lang()


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in the user's language, named by the subcommand at fault."""

    def error(self, message: str):
        import re

        wrong = re.match(r"^argument .*?: invalid choice: '(.*)' \(choose from (.*)\)$", message)
        close = []
        if wrong:  # `perfrules evl`: did you mean eval?
            import difflib

            close = difflib.get_close_matches(wrong[1], re.findall(r"'([^']*)'", wrong[2]), n=1)
        if _cli_lang != "zh":
            super().error(message + (f"; did you mean {close[0]}?" if close else ""))
        for pattern, zh in _ARGPARSE_ZH:
            if re.match(pattern, message):
                message = re.sub(pattern, zh, message)
                break
        if close:
            message += f"；是否想写 {close[0]}？"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="language of messages and reports (default: from the locale, PERFRULES_LANG)")
    common.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    parser = _Parser(
        prog="perfrules",
        description="Rule language, checker and evaluator for 部门整体绩效 indicator systems.",
        epilog="Run `perfrules COMMAND --help` for a command's options. Docs: docs/ in the repository.",
    )
    from . import __version__
    parser.add_argument("--version", action="version", version=f"perfrules {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = {}
    for name in COMMANDS:
        module = import_module(f"perfrules.commands.{name}")
        p = sub.add_parser(name, parents=[common], help=module.HELP, description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(p)
        p.set_defaults(run=module.run)
        parser.commands[name] = p
    return parser


def main(argv: list[str] | None = None) -> int:
    global _cli_lang
    argv = sys.argv[1:] if argv is None else list(argv)
    _cli_lang = _lang_in(argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the subcommand they were given to (`perfrules check: …`)
        at_fault = parser.commands.get(getattr(args, "command", None), parser)
        at_fault.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    args.lang = args.lang or default_lang()
    previous = _terminate_as_interrupt()
    try:
        return args.run(args)
    except KeyboardInterrupt as exc:
        print("interrupted" if args.lang == "en" else "已中断", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130  # 128 + the signal's number, as shells report
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - never show a user a traceback unless asked
        if args.debug:
            traceback.print_exc()
        if args.lang == "zh":
            print(f"perfrules 内部错误：{type(exc).__name__}: {exc}\n请把命令和所用文件报告给维护者（加 --debug 可看详细信息）。", file=sys.stderr)
        else:
            print(f"perfrules internal error: {type(exc).__name__}: {exc}\nPlease report it with the command and files (--debug shows details).", file=sys.stderr)
        return 70
    finally:
        _restore_sigterm(previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt (everything that cleans up after one
    cleans up after it) but ending the command with 143 rather than 130."""


_NOT_SET = object()


def _terminate_as_interrupt():
    """SIGTERM (what `kill` and batch schedulers send) ends a run like Ctrl-C: as an exception
    in the main thread, so half-written output files are removed, not left behind. Returns
    the handler it replaced (main() puts it back)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return _NOT_SET  # signal handlers can only be set from the main thread (e.g. main() in a worker)

    def handler(signum, frame):
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover - platforms without SIGTERM
        return _NOT_SET


def _restore_sigterm(previous) -> None:
    """Put back the SIGTERM handler main() replaced. Left installed in a process that called
    main() (a test run, a service), it was inherited by processes forked later, which then
    turned multiprocessing's SIGTERM (Pool.terminate) into an exception anywhere — even while
    holding the pool's queue lock — and the pool's shutdown waited for them forever."""
    import signal

    if previous is _NOT_SET or previous is None:  # (None: a handler not set from Python)
        return
    try:
        signal.signal(signal.SIGTERM, previous)
    except (ValueError, OSError):  # pragma: no cover
        pass


if __name__ == "__main__":
    sys.exit(main())

"""Print the JSON Schema (draft 2020-12) of the input record a ruleset needs, or generate the
schemas of perfrules' own JSON (results, diagnostics) into schemas/.

    perfrules schema rulesets/health/health.rules            # the input record, to stdout
    perfrules schema rulesets/health/health.rules -o in.json
    perfrules schema --models --write schemas/               # regenerate schemas/ (from the repo root)
    perfrules schema --models --check schemas/               # exit 1 if a committed file is stale

Each input is a property (type, range as minimum/maximum, label as description, default);
inputs without a default are required; aliases (`from "…"`) are accepted as alternative
property names. See perfrules/schema.py for every convention.

Exit status: 0 on success; 1 when the rule file has errors or --check finds a stale file.
"""
from __future__ import annotations

import sys

from ..oserrors import os_reason


HELP = "JSON Schema of a ruleset's input record, or of perfrules' results (schemas/)"


def configure(p) -> None:
    p.add_argument("rules", nargs="?", metavar="RULES", help="the rule file")
    p.add_argument("-o", "--output", metavar="FILE", help="write the schema here instead of stdout")
    p.add_argument("--models", action="store_true", help="the generated schemas/ files instead of a ruleset's input")
    p.add_argument("--write", metavar="DIR", help="with --models: write the schemas into DIR")
    p.add_argument("--check", metavar="DIR", help="with --models: exit 1 if a file in DIR is stale")


def run(args) -> int:
    from pathlib import Path

    from .. import schema as S

    zh = args.lang == "zh"
    # Options of the other mode were ignored silently (`schema RULES --write x` printed RULES' schema).
    if not args.models and (args.write or args.check):
        opt = "--write" if args.write else "--check"
        print(f"{opt} 只和 --models 一起用（生成或核对 schemas/）" if zh else
              f"{opt} goes with --models (generating or checking schemas/)", file=sys.stderr)
        return 2
    if args.models and (args.rules or args.output):
        print("--models 不接受规则文件或 -o：它生成 schemas/ 下的文件（用 --write DIR 或 --check DIR）" if zh else
              "--models takes no rule file or -o: it generates the files of schemas/ (use --write DIR or --check DIR)",
              file=sys.stderr)
        return 2
    if args.models:
        if bool(args.write) == bool(args.check):
            print("--models 需要 --write DIR 或 --check DIR 之一" if zh else "--models needs one of --write DIR or --check DIR",
                  file=sys.stderr)
            return 2
        out_dir = Path(args.write or args.check)
        root = out_dir.resolve().parent
        try:
            if args.write:
                for path in S.write_all(out_dir, root):
                    print(f"已写入 {path}" if zh else f"wrote {path}")
                return 0
            names = S.stale(out_dir, root)
        except S.SourceMissing as err:
            print(err.text(args.lang), file=sys.stderr)
            return 2
        for name in names:
            print(f"已过期：{out_dir / name}（重新生成：{S.REGENERATE}）" if zh else
                  f"stale: {out_dir / name} (regenerate: {S.REGENERATE})", file=sys.stderr)
        return 1 if names else 0
    if not args.rules:
        print("请给出规则文件，或用 --models" if zh else "give a rule file, or --models", file=sys.stderr)
        return 2
    from ..api import CompileError, load

    try:
        rules = load(args.rules)
    except CompileError as err:
        from ..diagnostics import render_all
        print(render_all([d for d in err.diagnostics if d.is_error], err.sources, args.lang), file=sys.stderr)
        return 1
    except OSError as err:
        print(f"无法读取 {args.rules}：{os_reason(err)}" if zh else f"cannot read {args.rules}: {err.strerror}", file=sys.stderr)
        return 1
    text = S.dumps(S.input_schema(rules))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0

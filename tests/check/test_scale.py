"""Rule files at scale: the checker's cost must grow with the file, not with its square."""
from __future__ import annotations

from lark import Lark

import perfrules
from perfrules.compiler import compile_source
from perfrules.source import SourceFile


def _many_alerts(n_padding: int, n_alerts: int, bad_at: int | None = None) -> str:
    lines = ["settings { total 1 }", "input a: number", "indicator x weight 1 { value a; score full }"]
    lines += [f"# 说明第{i}行：填充，使后面的预警落在文件深处" for i in range(n_padding)]
    for i in range(n_alerts):
        expr = "a +" if i == bad_at else "x.value"
        lines.append(f'alert 预警{i} info when a > {i} {{ message "第{i}个：{{{expr}:2}} 与 {{a}}" }}')
    return "\n".join(lines) + "\n"


def test_message_templates_are_parsed_without_the_text_before_them(monkeypatch):
    """Each {expr} of a message was parsed as the whole file up to it, blanked to spaces, so that
    positions came out right: 100 alerts near the end of a 1 MB file lexed ~1.2 M tokens and
    `perfrules check` of a 1000-indicator file took 15 s in the templates alone."""
    seen: list[int] = []
    real = Lark.parse

    def spy(self, text, start=None, *args, **kwargs):
        if start == "expr":
            seen.append(len(text))
        return real(self, text, start, *args, **kwargs)

    monkeypatch.setattr(Lark, "parse", spy)
    text = _many_alerts(2000, 50)
    perfrules.compile(text)
    assert len(seen) == 100
    assert max(seen) < 50, max(seen)


def test_an_error_in_a_message_template_deep_in_a_file_keeps_its_line_and_column():
    text = _many_alerts(300, 5, bad_at=3)
    src = SourceFile("many.rules", text)
    result = compile_source(src, lambda p: SourceFile.read(p))
    errors = [d for d in result.diagnostics if d.code == "PR105"]
    assert len(errors) == 1
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "预警3 " in line)
    line = text.splitlines()[line_no - 1]
    span = errors[0].span
    assert (span.line, span.column) == (line_no, line.index("{a +") + 2)
    assert src.snippet(span) == "a +"


def test_indicators_found_by_name_and_path_suffix_among_many():
    """find_indicators looks names up in an index: a path suffix, a name shared by a group and
    its leaf, and a name under two groups (ambiguous) resolve as by scanning every indicator."""
    groups = []
    for g in range(40):
        leaves = "\n".join(f"    indicator 指标{k} weight 1 {{ value a; score full }}" for k in range(5))
        groups.append(f"  indicator 分组{g} weight 5 {{\n{leaves}\n  }}")
    text = ("settings { total 200 }\ninput a: number\n"
            "indicator 全部 weight 200 {\n" + "\n".join(groups) + "\n}\n"
            "output 甲 = 分组7.指标3 + 全部.分组39.指标4\n"
            'test "t" { given { a = 1 } expect { 分组7.指标3 = 1.00, 分组0 = 5.00, 甲 = 2 } }\n')
    rules = perfrules.compile(text)
    assert rules.evaluate_one({"a": "1"}).outputs["甲"] == "2"
    src = SourceFile("amb.rules", text.replace("分组7.指标3 +", "指标3 +"))
    result = compile_source(src, lambda p: SourceFile.read(p))
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["PR203"]

"""Diagnostics found wanting when writing rule files as a policy author would."""
from __future__ import annotations

from perfrules.compiler import compile_source
from perfrules.source import SourceFile


def diagnostics(text: str, lang: str = "en"):
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    return [(d.span.line, d.code, d.message(lang)) for d in comp.diagnostics]


def test_too_few_arguments_of_a_function_without_an_upper_limit():
    # min() said "需要 1–… 个参数" / "takes 1–…"
    text = "output 最小 = min()\noutput 截 = round()\n"
    assert diagnostics(text, "zh") == [
        (1, "PR205", "函数 min 的参数不正确：需要至少 1 个参数，给了 0 个"),
        (2, "PR205", "函数 round 的参数不正确：需要 1–2 个参数，给了 0 个"),
    ]
    assert diagnostics(text)[0] == (1, "PR205", "wrong arguments to min: takes at least 1, got 0")


TEMPLATE = 'input 甲: number\nalert 坏 warning when 甲 > 1 {\n  message "%s"\n}\n'


def spans(text: str, lang: str = "en"):
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    return [(d.code, d.span.line, d.span.column, d.message(lang)) for d in comp.diagnostics]


def test_unknown_message_format_is_an_error():
    # {甲:xyz} showed 甲 in the default format, silently
    assert spans(TEMPLATE % "值 {甲:xyz}，{甲:pct1} {甲:pct3} {甲:0} {甲:amount}") == [
        ("PR105", 3, 17, "invalid expression in message template: unknown format xyz; use pct, pct1, 2 (decimal places) or amount")]


def test_unpaired_brace_in_a_message_is_an_error():
    # "{甲:pct" was printed as it stands
    assert spans(TEMPLATE % "值 {甲} 和 {甲:pct", "zh") == [
        ("PR105", 3, 20, "消息模板中的表达式有误：{ 与 } 没有配对：{表达式} 或 {表达式:格式} 要写在一对花括号里")]
    assert [d[:3] for d in spans(TEMPLATE % "值 甲}")] == [("PR105", 3, 15)]


def test_template_parse_errors_say_why_in_words():
    # the reason was the parser's exception class: UnexpectedToken, UnexpectedCharacters
    got = spans(TEMPLATE % "{甲 *:pct} {甲 ＄ 2}", "zh")
    assert [(c, col, m) for c, _, col, m in got] == [
        ("PR105", 13, "消息模板中的表达式有误：表达式没有写完"),
        ("PR105", 23, "消息模板中的表达式有误：无法识别的字符 ＄"),
    ]


def test_uncovered_bands_name_the_gap_between_bands_and_every_uncovered_range():
    # "[0, 60%) … (60%, 100%]" forgets 60% itself (含/不含): the example was -100%, with no word of 60%
    text = ("settings { total 30 }\ninput 率: percent\n"
            "indicator 乙 weight 30 {\n  value 率\n  score bands { [0, 60%) -> 10; (60%, 100%] -> 30 }\n}\n"
            "grade by total { 优 >= 27; 良 >= 20; 差 < 19 }\n")
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    got = [(d.code, d.span.line, d.message("zh"), d.hint_text("zh")) for d in comp.diagnostics]
    assert got == [
        ("PR503", 5, "分档没有覆盖所有取值（例如 60%），且没有 otherwise",
         "没有档的取值：(-∞, 0%) ∪ = 60% ∪ (100%, +∞)；补上这些档，或最后写 otherwise"),
        ("PR503", 7, "分档没有覆盖所有取值（例如 19），且没有 otherwise",
         "没有等级的分数：[19, 20)；补上这些分数段，或最后写 otherwise"),
    ]


def test_comparisons_with_full_width_halves_in_any_mix():
    # ＝ ＞ ＜ are ASCII twins, but ＝＝, >＝, ＜＞, ！＝ were PR102 (only ＞＝ and ＜＝ were known)
    import perfrules

    text = ("settings { total 10 }\ninput 数: number\ninput 率: percent\n"
            "indicator 甲 weight 5 { value 率; score bands { >＝ 90% -> full; ＞= 80% -> 4; <＝ 50% -> 0; otherwise -> 1 } }\n"
            "indicator 乙 weight 5 {\n  value 数\n"
            "  score bands { 数 ＝＝ 0 -> 5; 数 ＜＞ 1 and 数 ！＝ 2 and 数 !＝ 3 and 数 ＝= 5 -> 3; otherwise -> 0 }\n}\n")
    assert diagnostics(text) == []
    rules = perfrules.compile(text, "t.rules")
    got = [tuple(str(i.score) for i in r.indicators)
           for r in (rules.evaluate_one({"数": n, "率": p}) for n, p in (("0", "85%"), ("5", "95%"), ("1", "40%")))]
    assert got == [("4.00", "5.00"), ("5.00", "3.00"), ("0.00", "0.00")]


def test_an_alert_or_a_grade_written_twice():
    # accepted silently: the second grade was ignored, both alerts fired under one name
    text = ("settings { total 10 }\ninput 甲: number\n"
            "indicator 一 weight 10 { value 甲; score min(value, full) }\n"
            "grade by total { 优 >= 9; 差 otherwise }\ngrade by total { 好 >= 5; 坏 otherwise }\n"
            "grade by 一 { 好 >= 5; 坏 otherwise }\ngrade by 一 { 好 >= 6; 坏 otherwise }\n"
            'alert 甲 info when 甲 > 1 { message "x" }\nalert 甲 severe when 甲 > 2 { message "y" }\n')
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    got = [(d.code, d.span.line, d.span.column, d.message("en"), [lb.span.line for lb in d.labels])
           for d in comp.diagnostics]
    assert got == [
        ("PR202", 5, 1, "grade by total is defined more than once", [4]),
        ("PR202", 7, 10, "grade by 一 is defined more than once", [6]),
        ("PR202", 9, 7, "甲 is defined more than once", [8]),
    ]


def test_unclosed_parenthesis_is_named_where_the_parser_stumbles():
    # inside ( … ) a line break does not end the statement: the error lands on the } below,
    # and said only "此处不应出现 '}'，应为 ,、)"
    text = ("settings { total 10 }\ninput 甲: number\n"
            "indicator 一 weight 10 {\n  value 甲\n  score ratio(target: 100%\n}\n")
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    assert [(d.code, d.span.line, d.hint_text("zh"), d.hint_text("en")) for d in comp.diagnostics] == [
        ("PR102", 6, "第 5 行的 ( 没有对应的 )", "the ( on line 5 is never closed")]


def test_top_level_weights_that_do_not_add_up_list_the_indicators():
    # PR401 listed the children; PR402 gave only the sum
    text = ("input 甲: number\n"
            "indicator 一 weight 60 { value 甲; score min(value, full) }\n"
            "indicator 二 weight 30 { value 甲; score min(value, full) }\n")
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    (d,) = comp.diagnostics
    assert d.code == "PR402"
    assert [(lb.span.line, lb.en) for lb in d.labels] == [(2, "一: 60"), (3, "二: 30")]


def _hints(body: str):
    text = "settings { total 5 }\ninput 甲: percent\n" + body + "\n"
    comp = compile_source(SourceFile("t.rules", text), lambda p: SourceFile.read(p))
    return [(d.code, d.hint_text("zh")) for d in comp.diagnostics]


def test_hints_for_what_documents_say_but_the_language_does_not():
    # each was a bare "此处不应出现 …" or "未定义的名称 …" with no way forward
    assert _hints("indicator 一 weight 5分 { value 甲; score full }") == [
        ("PR102", "分值只写数字，不用写“分”：weight 5")]
    assert _hints("indicator 一 weight 5 { value = 甲; score full }") == [
        ("PR102", "value 后面直接写表达式（不写 =），如 value 实际支出 / 调整后预算数")]
    assert _hints("indicator 一 weight 5 {\n  value 甲\n  score： full\n}") == [
        ("PR102", "score 后面直接写表达式（不写 ：），如 score ratio(target: 100%)")]
    assert _hints("indicator 一 weight 5 { value 甲; score bands { >= 90% -> full; 其他 -> 0 } }") == [
        ("PR201", "“其余情况”写 otherwise，如 otherwise -> 0")]
    assert _hints("indicator 一 weight 5 { value 甲; score ratio(target = 100%) }")[0] == (
        "PR201", "ratio 的参数写成 target: 100%（冒号）")


def test_letter_o_typed_for_a_zero():
    assert _hints("alert 低 warning when 甲 < 5O% { message \"低\" }\nindicator 一 weight 5 { value 甲; score full }") == [
        ("PR102", "数字里是否把 0 或 1 写成了字母 O？")]


def test_match_results_and_coalesce_arguments_of_no_common_type():
    # they became type "unknown" without an error, which every later check accepts: `+ 1` on
    # the text crashed the evaluators (TypeError: can only concatenate str …) when scored
    text = ("settings { total 1 }\ninput 说明: text\ninput 数: number\ninput 等: choice(优, 良)\n"
            "indicator 一 weight 1 { score full }\n"
            "output 甲 = coalesce(数, 说明) + 1\n"
            'output 乙 = (match 等 { 优 -> 1, 良 -> "x" }) + 1\n'
            'output 丙 = coalesce(说明, 等, "无")\n'
            "output 丁 = coalesce(数, 5%) + match 等 { 优 -> 1, otherwise -> 50% }\n")
    assert [(c, line, m) for c, line, _, m in spans(text)] == [
        ("PR301", 6, "coalesce cannot be applied to number and text"),
        ("PR301", 7, "match cannot be applied to number and text"),
    ]


def test_a_duplicate_indicator_does_not_also_report_the_weights_without_it():
    # the second 预算执行率 was dropped, then PR402 said the top level adds up to 5 (the file says 5 + 5)
    text = ("settings { total 10 }\ninput 甲: percent\n"
            "indicator 预算执行率 weight 5 { value 甲; score ratio(target: 100%) }\n"
            "indicator 预算执行率 weight 5 { value 甲; score ratio(target: 100%) }\n"
            "indicator 组 weight 0.5 {\n  indicator 子 weight 1 { value 甲; score full }\n"
            "  indicator 子 weight 1 { value 甲; score full }\n}\n")
    assert [(c, line) for c, line, _, _ in spans(text)] == [("PR202", 4), ("PR202", 7)]


def test_round_places_must_be_a_whole_constant_from_0_to_10():
    # round(x, 甲) crashed the evaluators with 甲 = -3 (AttributeError: 'float' … 'numerator')
    # and would not finish with 甲 = 1e20
    text = ("input 甲: number\noutput a = round(甲, 2)\noutput b = round(甲, 1 + 1)\n"
            "output c = round(甲, 0)\noutput d = round(甲, 10)\noutput e = round(甲)\n"
            "output f = round(甲, 甲)\noutput g = round(甲, -1)\noutput h = round(甲, 1.5)\noutput i = round(甲, 11)\n")
    got = spans(text, "zh")
    assert [(c, line, col) for c, line, col, _ in got] == [("PR205", 7, 21), ("PR205", 8, 21), ("PR205", 9, 21), ("PR205", 10, 21)]
    assert got[0][3] == "函数 round 的参数不正确：小数位数应为 0 到 10 的整数常数，如 round(x, 2)"


def test_a_recursive_def_is_an_error_even_when_nothing_calls_it():
    # an unused one was only PR602 (unused), and in a file brought in with `use` not even that
    text = ("input 甲: number\noutput 一 = 甲\n"
            "def 递归(x) = 递归(x) + 1\ndef 甲函(x) = 乙函(x)\ndef 乙函(x) = 甲函(x) * 2\ndef 好(x) = x * 2\n")
    got = spans(text)
    assert [(c, line, m) for c, line, _, m in got if c == "PR207"] == [
        ("PR207", 3, "circular dependency: 递归 → 递归"),
        ("PR207", 4, "circular dependency: 乙函 → 甲函 → 乙函"),  # at the call that closes the circle
        ("PR207", 5, "circular dependency: 甲函 → 乙函 → 甲函"),
    ]


def test_the_body_of_an_unused_def_is_checked():
    # a def nothing calls was never inlined, so a misspelt name or a type error in it went
    # unreported (PR602 only) until the day it was first used
    text = ("input 实际支出: amount\ninput 备注: text\nlet 基准 = 0.95\noutput 一 = 实际支出\n"
            "def 坏(a) = 实际 / a\n"
            "def 文(x) = 实际支出 + 备注\n"
            "def 好(x, 满分) = max(满分 - (基准 - x) * 50, 0)\n"
            "def 满(x) = if x >= 基准 then full else 0\n"
            "def 选(x) = match x { 甲 -> 1, otherwise -> 0 }\n")
    got = spans(text, "zh")
    errors = [(c, line, col, m) for c, line, col, m in got if c not in ("PR601", "PR602")]
    assert [e[:3] for e in errors] == [("PR201", 5, 12), ("PR301", 6, 12)]
    assert errors[0][3] == "未定义的名称 实际"
    # a parameter takes any type: `full`, `match` and arithmetic on it are not reported; and
    # nothing read while checking the bodies counts as a use (备注 and 基准 stay unused)
    assert [(c, line) for c, line, _, _ in got if c in ("PR601", "PR602")] == [
        ("PR601", 2), ("PR602", 3), ("PR602", 5), ("PR602", 6), ("PR602", 7), ("PR602", 8), ("PR602", 9)]


def test_an_unused_def_of_a_shared_file_is_checked_with_that_file(tmp_path):
    # a shared file's def may name what only some of its users declare: checked on its own
    (tmp_path / "common.rules").write_text(
        "input 实际支出: amount\ndef 坏(x) = 没有这个 / x\nindicator 财政 weight 100 {\n  value 实际支出\n"
        "  score ratio(target: 100)\n}\n", encoding="utf-8")
    (tmp_path / "main.rules").write_text('extends "common.rules"\n', encoding="utf-8")
    from perfrules.api import check

    assert [d.code for d in check(tmp_path / "main.rules").diagnostics] == []
    assert [d.code for d in check(tmp_path / "common.rules").diagnostics if d.is_error] == ["PR201"]


def test_an_alias_shared_with_an_inherited_input_nothing_reads_is_no_clash(tmp_path):
    # the inherited input is left out of the program: the column feeds one input only
    (tmp_path / "common.rules").write_text(
        'input 实际支出: amount from "本年支出"\ninput 预算数: amount\nindicator 财政 weight 10 {\n'
        "  value 预算数\n  score ratio(target: 100)\n}\n", encoding="utf-8")
    dept = 'extends "common.rules"\nsettings { total 20 }\ninput 支出: amount from "本年支出"\nindicator 业务 weight 10 {\n  value %s\n  score ratio(target: 100)\n}\n'
    (tmp_path / "a.rules").write_text(dept % "支出", encoding="utf-8")
    (tmp_path / "b.rules").write_text(dept % "支出 + 实际支出", encoding="utf-8")
    from perfrules.api import check

    assert [d.code for d in check(tmp_path / "a.rules").diagnostics] == []
    assert [d.code for d in check(tmp_path / "b.rules").diagnostics] == ["PR202"]

"""Syntax: text → Lark parse tree → AST, with every syntax error reported as a diagnostic."""
from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import DiagnosticSink, Hint
from ..source import SourceFile
from . import ast
from .build import AstBuilder
from .parser import get_parser

# Lines that start a top-level declaration: where recovery may restart after a syntax error.
_TOP = re.compile(
    r"^(ruleset|title|description|owner|applies|extends|use|settings|input|let|def|indicator|bonus|"
    r"penalty|grade|alert|output|override|remove|test"
    # the documents' words for declarations (a syntax error with a hint): each its own declaration,
    # so that the next one written so is reported too
    r"|指标|输入|等级|预警|输出|测试|设置)\b",
    re.M,
)
# The declaration keywords, for a line that starts with one misspelt (`indicater 名称 weight 5 {`):
# recovery restarts there too, so that the declaration above it is not lost with it, and the
# name it declares is known as declared in a broken part (not reported again as unknown).
_TOP_WORDS = ("ruleset", "title", "description", "owner", "applies", "extends", "use", "settings", "input",
              "let", "def", "indicator", "bonus", "penalty", "grade", "alert", "output", "override", "remove",
              "test")
_LINE_WORD = re.compile(r"^([A-Za-z]{3,})[ \t]+\S", re.M)


def _misspelt_top(word: str) -> str | None:
    """The declaration keyword `word` is a slip of (`indicater` → indicator), or None."""
    import difflib

    if word in _TOP_WORDS:
        return None
    close = difflib.get_close_matches(word.lower(), _TOP_WORDS, n=1, cutoff=0.75)
    return close[0] if close else None


def _starts(text: str) -> list[int]:
    """Offsets where recovery may restart: declaration keywords, and misspelt ones."""
    found = {m.start() for m in _TOP.finditer(text)}
    found.update(m.start() for m in _LINE_WORD.finditer(text) if _misspelt_top(m.group(1)))
    return sorted(found)


def _as_written_meant(chunk: str) -> str:
    """The chunk with a misspelt declaration keyword at its start put right (for the names it declares)."""
    m = _LINE_WORD.match(chunk)
    keyword = _misspelt_top(m.group(1)) if m else None
    return keyword + chunk[len(m.group(1)):] if keyword else chunk


_DECLARED = re.compile(r"^[ \t\u3000]*(?:input|let|def|output|(?:bonus\s+|penalty\s+)?indicator)\s+(`[^`\n]+`|[^\s:=(（：＝{]+)", re.M)
# A `grade by total` that did not parse declares the name `grade` of expressions; marked with a
# word no name can be (it has spaces), so that it silences only `grade` and tests' expected grade
BROKEN_GRADE = "grade by total"
_GRADE_BY_TOTAL = re.compile(r"^[ \t\u3000]*grade\s+by\s+total\b", re.M)
# Any part that did not parse (the file is not empty, whatever it declares), and one that may
# read inputs, lets or defs without declaring a name (an alert, an override): lint would call
# what only it reads unused. Marked, as BROKEN_GRADE, with words no name can be.
BROKEN_PART = "unparsed part"
BROKEN_READS = "unparsed reader"
_READS = re.compile(r"^[ \t\u3000]*(?:alert|override|预警)\b")
# The name of an alert that did not parse, kept apart from the names expressions can read (a test's
# `expect { alert 名称 }` must not say there is no such alert): BROKEN_ALERT + name.
BROKEN_ALERT = "unparsed alert\n"
# A file named by extends/use that could not be read (PR701): whatever it declares is unknown, so
# names, tests, weight sums and overrides that may rely on it are not reported again.
BROKEN_INCLUDE = "unread include"
BROKEN_USE = "unread use"  # the same for a use file: only inputs, lets and defs are unknown
_ALERT_NAME = re.compile(r"^[ \t\u3000]*alert\s+(`[^`\n]+`|[^\s{]+)", re.M)

_TERMINAL_WORDS = {
    "NAME": ("名称", "a name"), "QUOTED_NAME": ("`名称`", "a `name`"), "NUMBER": ("数字", "a number"),
    "PERCENT": ("百分数", "a percentage"), "STRING": ("字符串", "a string"), "DATE": ("日期", "a date"),
    "_NL": ("换行", "a new line"), "_SEMI": (";", ";"), "_COMMA": (",", ","), "_LBRACE": ("{", "{"),
    "_RBRACE": ("}", "}"), "_LPAR": ("(", "("), "_RPAR": (")", ")"), "_COLON": (":", ":"),
    "_EQ": ("=", "="), "_ARROW": ("->", "->"), "CMP": ("比较符号", "a comparison"), "MINUS": ("-", "-"),
    "ADD_OP": ("+", "+"), "MUL_OP": ("* /", "* /"), "_DOT": (".", "."), "RANGE_OPEN": ("[", "["),
    "_RBRACK": ("]", "]"), "$END": ("文件结尾", "end of file"), "VBAR": ("|", "|"),
}


def _describe(terminals, lang: str) -> str:
    words = []
    # punctuation first (a new line, }, ;, …: what usually ends or separates), then words
    for t in sorted(terminals, key=lambda t: (not t.startswith("_"), t)):
        if t in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[t][0 if lang == "zh" else 1])
        elif t.isupper() and not t.startswith("_") and not t.startswith("__"):
            words.append(t.lower())
    words = list(dict.fromkeys(words))
    if len(words) > 8:
        words = words[:8] + ["…"]
    return ", ".join(words) if lang == "en" else "、".join(words)


def _acceptable(err) -> set:
    """The tokens the parser could really take where it stopped. LALR's `expected` is its state's
    lookahead set, which merged states fill with words of other places (after a band's points:
    by, counting, else, over, per, then…); the interactive parser tries each token on the actual
    stack. Empty when it cannot say (the caller falls back to `expected`)."""
    ip = getattr(err, "interactive_parser", None)
    if ip is None:
        return set()
    try:
        return set(ip.accepts())
    except Exception:  # noqa: BLE001 - only the message's list depends on it
        return set()


def _expected_args(terms) -> dict:
    return {"expected": _describe(terms, "zh"), "expected_en": _describe(terms, "en")}


def parse_module(src: SourceFile, sink: DiagnosticSink) -> tuple[ast.Module, set[str]]:
    """Parse one file. Returns the module built from every declaration that parsed, and the
    names declared in the parts that did not (so that semantics does not cascade errors)."""
    binary = _binary_at(src.text)
    if binary is not None:  # a workbook, an archive, an image given as a rule file: one error, not hundreds
        sink.error("PR101", src.span(binary, binary + 1),
                   Hint("这不是规则文件：文件里有二进制内容（像是 Excel 工作簿、压缩包或图片）；规则文件是纯文本（.rules）",
                        "this is not a rule file: it holds binary content (an Excel workbook, an archive or an "
                        "image?); rule files are plain text (.rules)"),
                   char=repr(src.text[binary]))
        return ast.Module(src.span(0, len(src.text)), ()), {BROKEN_PART}
    parser = get_parser()
    try:
        tree = parser.parse(src.text, start="start")
    except UnexpectedInput:
        pass
    else:
        broken = _drop_too_deep(tree, src, sink)
        return AstBuilder(src).transform(tree), broken
    # Recovery: parse each top-level declaration on its own; positions are shifted back to those
    # of the real file (parsing the file up to the declaration blanked to spaces, as this once
    # did, made a long file with one error quadratic: 10,000 lines took minutes).
    starts = _starts(src.text)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(src.text))
    decls, broken = [], set()
    for a, b in zip(starts, starts[1:]):
        chunk = src.text[a:b]
        if not chunk.strip():
            continue
        try:
            tree = parser.parse(chunk, start="start")
        except UnexpectedInput as err:
            _shift(err, a)
            _report(err, src, sink, a, b)
            broken |= _declared_in_broken(_as_written_meant(chunk), a == 0 and not _TOP.match(chunk))
            continue
        broken |= _drop_too_deep(tree, src, sink, a)
        decls.extend(AstBuilder(src, a).transform(tree).decls)
    return ast.Module(src.span(0, len(src.text)), tuple(decls)), broken


def _binary_at(text: str) -> int | None:
    """Where a file that is not text shows it (its first NUL or other control character), when
    its head has a NUL or over 5 % control characters (8 at least); None for a text file."""
    head = text[:4096]
    controls = [i for i, ch in enumerate(head) if (ch < " " and ch not in "\t\n\r\f") or ch == "\x7f"]
    if "\x00" in head or (len(controls) >= 8 and len(controls) * 20 > len(head)):
        return controls[0] if controls else head.index("\x00")
    return None


def _declared_in_broken(chunk: str, before_any: bool = False) -> set[str]:
    """What a declaration that cannot be used declares (see BROKEN_*), so that semantics does not
    report the names, weights and tests that rely on it again."""
    broken = {n.strip("`") for n in _DECLARED.findall(chunk)}
    if _GRADE_BY_TOTAL.search(chunk):
        broken.add(BROKEN_GRADE)
    broken.add(BROKEN_PART)
    broken.update(BROKEN_ALERT + n.strip("`") for n in _ALERT_NAME.findall(chunk))
    if _READS.match(chunk) or before_any:  # or text before any declaration
        broken.add(BROKEN_READS)
    return broken


# Nesting deeper than this is refused (PR107) rather than built: the syntax tree, the checker,
# the formatter and the generated evaluators all recurse, and Python's stack (1000 frames) ran out
# at 190–500 levels (a sum of 500 terms, 200 indicator groups in one another); generated Python
# cannot indent more than 100 levels, which 100 `if … else if …` reached.
MAX_DEPTH = 150
MAX_IFS = 64


def too_deep(tree, offset: int = 0) -> tuple[int, int, bool] | None:
    """(start, end, by_ifs) of the outermost part of a Lark tree nested deeper than MAX_DEPTH
    levels or MAX_IFS `if`s, with positions shifted by `offset`; None when within the limits.
    Iterative: the tree may be as deep as the parser (which does not recurse) made it."""
    from lark import Tree

    found = None
    todo = [(tree, 1, 0)]
    while todo:
        node, depth, ifs = todo.pop()
        if not isinstance(node, Tree):
            continue
        ifs += node.data == "if_expr"
        if depth > MAX_DEPTH or ifs > MAX_IFS:  # the leftmost such part: where the reader starts
            meta = node.meta
            if not getattr(meta, "empty", True) and (found is None or meta.start_pos < found[0]):
                found = (meta.start_pos + offset, meta.end_pos + offset, ifs > MAX_IFS)
            continue
        todo.extend((c, depth + 1, ifs) for c in node.children)
    return found


def _drop_too_deep(tree, src: SourceFile, sink: DiagnosticSink, offset: int = 0) -> set[str]:
    """Report each top-level declaration of `tree` nested too deeply (PR107) and take it out of
    the tree; returns what those declarations declare (as for one that did not parse)."""
    from lark import Tree

    broken: set[str] = set()
    kept = []
    for decl in tree.children:
        found = too_deep(decl, offset) if isinstance(decl, Tree) else None
        if found is None:
            kept.append(decl)
            continue
        report_too_deep(src, sink, *found)
        a, b = decl.meta.start_pos + offset, decl.meta.end_pos + offset
        broken |= _declared_in_broken(src.text[a:b])
    tree.children[:] = kept
    return broken


def report_too_deep(src: SourceFile, sink: DiagnosticSink, start: int, end: int, by_ifs: bool) -> None:
    line_end = src.text.find("\n", start)
    end = min(end, line_end) if line_end >= 0 else end
    if by_ifs:
        what = Hint(f"把层层嵌套的 if … else if … 改写成 match 或 bands（最多嵌套 {MAX_IFS} 层 if）",
                    f"rewrite the chain of if … else if … as match or bands (at most {MAX_IFS} nested ifs)")
    else:
        what = Hint(f"把表达式拆成几个 let，或减少指标分组的层数（最多 {MAX_DEPTH} 层）",
                    f"split the expression into a few lets, or nest fewer indicator groups (at most {MAX_DEPTH} levels)")
    sink.error("PR107", src.span(start, max(end, start + 1)), what)


def _shift(err: UnexpectedInput, offset: int) -> None:
    """Make the positions of an error found in text[offset:] parsed alone those of the file."""
    if offset == 0:
        return
    if getattr(err, "pos_in_stream", None) is not None and err.pos_in_stream >= 0:
        err.pos_in_stream += offset
    tok = getattr(err, "token", None)
    if tok is not None and getattr(tok, "start_pos", None) is not None:
        tok.start_pos += offset
        if tok.end_pos is not None:
            tok.end_pos += offset


# The STRING terminal's two forms (a string never spans lines), to tell an unclosed one.
_STRING = {'"': re.compile(r'"(?:[^"\\\n]|\\.)*"'), "“": re.compile(r"“[^”\n]*”")}


def _report(err: UnexpectedInput, src: SourceFile, sink: DiagnosticSink, a: int = 0, b: int | None = None) -> None:
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        ch = src.text[pos] if pos < len(src.text) else ""
        hint = None
        if ch and ch in '"“' and not _STRING.get(ch).match(src.text, pos):
            eol = src.text.find("\n", pos)
            eol = len(src.text) if eol < 0 else eol
            end = max(pos + 1, pos + len(src.text[pos:eol].rstrip()))
            close = '"' if ch == '"' else "”"
            sink.error("PR106", src.span(pos, end), Hint(f"在字符串末尾补上 {close}（字符串不能跨行）",
                                                          f"end the string with {close} (a string cannot span lines)"), quote=ch)
            return
        if ch in "“”‘’'":
            hint = Hint("字符串请用英文双引号 \"…\"，带特殊字符的名称请用反引号 `…`",
                        "strings use straight double quotes \"…\"; names with special characters go in backticks `…`")
        elif ch == "\ufffd":
            hint = Hint("这里的字节不是有效的 UTF-8（文件可能在复制或转换编码时损坏）：删掉这个字符，重新输入",
                        "these bytes are not valid UTF-8 (the file may have been damaged when copied or re-encoded): "
                        "delete the character and type it again")
        elif ch == "。":
            hint = Hint("语句末尾不写句号：删掉“。”（一行一句，同一行写两句用 ; 隔开）",
                        "a statement does not end with 。: delete it (one statement a line, or ; between two)")
        elif ch in "【】〔〕":
            hint = Hint("区间用方括号或圆括号：[80%, 90%)（方括号含端点，圆括号不含）",
                        "a range takes square brackets or parentheses: [80%, 90%) (a square bracket includes its end)")
        elif ch in "～~":
            hint = Hint("区间写成 [80%, 90%)（方括号含端点，圆括号不含），不用“～”",
                        "write a range as [80%, 90%) (a square bracket includes its end), not with ～")
        elif ch in "%％":
            hint = Hint("百分数写在数字后面，如 95%", "a percent sign follows a number, as in 95%")
            # `低于60%`: 低于60 is one name (names may contain digits), then the % is left over
            words = "|".join(sorted(_CMP_WORDS_BEFORE, key=len, reverse=True))
            m = re.search(r"(?:^|[^\w`])(" + words + r")(\d[\d_.]*)$", src.text[:pos])
            if m:
                hint = comparison_word_hint(m.group(1), m.group(2) + ch, after=False)
        sink.error("PR101", src.span(pos, pos + 1), hint, char=repr(ch))
        return
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        tok = err.token
        expected = err.expected if hasattr(err, "expected") else set()
        hint = _hint_for(tok, expected, src.text, a)
        start = tok.start_pos if tok.start_pos is not None else 0
        end = tok.end_pos if tok.end_pos is not None else start + 1
        shown = repr(str(tok))
        terms = _acceptable(err) or expected
        if tok.type != "_NL" and not src.text[src.text.rfind("\n", 0, start) + 1:start].strip():
            # a word that starts a line where a declaration may start (`indicater 甲 …`): what could
            # come there is a declaration; "a new line, ;, end of file" says nothing
            terms = {t for t in terms if t not in ("_NL", "_SEMI", "$END")} or terms
        sink.error("PR102", src.span(start, max(end, start + 1)), hint,
                   token=shown if tok.type != "_NL" else "换行", token_en=shown if tok.type != "_NL" else "a new line",
                   **_expected_args(terms))
        return
    # The declaration ran to its end unfinished: point at its last character, and at the
    # brace that was never closed when that is the reason.
    expected = getattr(err, "expected", set()) or set()
    b = len(src.text) if b is None else b
    end = _code_end(src.text, a, b)
    hint = None
    opened = _unclosed_brace(src.text, a, end)
    if opened is not None:
        line, _ = src.position(opened)
        hint = Hint(f"第 {line} 行的 {{ 没有对应的 }}", f"the {{ on line {line} is never closed")
    sink.error("PR103", src.span(max(a, end - 1), end), hint, **_expected_args(expected))


def _scan_code(text: str, a: int, b: int):
    """(offset, char, inside_string) for every character of text[a:b] outside comments and
    blanks: a cheap scan for when the real lexer has already given up on the text."""
    i, in_str = a, None
    while i < b:
        ch = text[i]
        if in_str:
            if ch == "\\" and in_str == '"' and i + 1 < b:
                yield i, ch, True
                i += 1
                ch = text[i]
            elif ch == in_str:
                in_str = None
            yield i, ch, True
        elif ch == "#":
            nl = text.find("\n", i, b)
            i = b if nl < 0 else nl
            continue
        elif not ch.isspace():
            if ch in '"“':
                in_str = '"' if ch == '"' else "”"
                yield i, ch, True
            else:
                yield i, ch, False
        i += 1


def _code_end(text: str, a: int, b: int) -> int:
    """Offset just past the last character of code in text[a:b]: trailing blanks and comments
    do not count, so the caret lands on the declaration's last token, not on a comment."""
    end = a
    for i, _, _ in _scan_code(text, a, b):
        end = i + 1
    return end if end > a else a + len(text[a:b].rstrip())


def _unclosed_brace(text: str, a: int, b: int) -> int | None:
    """Offset of the first { in text[a:b] left open (ignoring strings and comments)."""
    return _unclosed(text, a, b, "{｛", "}｝")


def _unclosed(text: str, a: int, b: int, opening: str, closing: str) -> int | None:
    """Offset of the opening bracket in text[a:b] left open (ignoring strings and comments).

    Counting alone names the outermost one, but the one missing its closer is usually inside:
    a leaf without its } lets the group's } close the leaf, and the group's { is left over. So a
    closer on a line indented less than its opener's line marks that opener as the unclosed one
    (the file's indentation says which { the } was written for)."""
    stack, misfit = [], None
    for i, ch, in_string in _scan_code(text, a, b):
        if in_string:
            continue
        if ch in opening:
            stack.append(i)
        elif ch in closing and stack:
            opened = stack.pop()
            if misfit is None and _indent(text, i) < _indent(text, opened):
                misfit = opened
    if not stack:
        return None
    return misfit if misfit is not None else stack[0]


def _indent(text: str, pos: int) -> int:
    """Columns of blank at the start of the line holding pos (a tab as four)."""
    line = text[text.rfind("\n", 0, pos) + 1:pos]
    blank = line[:len(line) - len(line.lstrip(" \t\u3000"))]
    return len(blank) + 3 * blank.count("\t")


_BAND_CMP = re.compile(r"^([>＞<＜=＝!！][=＝]|[<＜][>＞]|>|<|=|≥|≤|≠|≧|≦|＞|＜|＝)\s*(\S.*?)\s*$")
_CMP_ASCII = {"≥": ">=", "≧": ">=", "≤": "<=", "≦": "<=", "≠": "!=", "<>": "!="}


def _ascii_cmp(op: str) -> str:
    op = op.translate(str.maketrans({"＞": ">", "＜": "<", "＝": "=", "！": "!"}))
    return _CMP_ASCII.get(op, op)


def _range_band_hint(tok, text: str) -> Hint | None:
    """`>= 90% and < 95% -> 3`: a band of two bare comparisons joined by `and`, as documents
    write "90%（含）至95%" — suggest the range form and the spelled-out condition."""
    start = tok.start_pos
    a = max(text.rfind(c, 0, start) for c in "{;\n｛；")
    ends = [i for i in (text.find(c, tok.end_pos) for c in ("->", "→", "=>", "\n")) if i >= 0]
    b = min(ends) if ends else len(text)
    rest = text[tok.end_pos:b].strip()
    left, right = _BAND_CMP.match(text[a + 1:start].strip()), _BAND_CMP.match(rest)
    if not left or not rest:
        return None
    op1, x1 = _ascii_cmp(left.group(1)), left.group(2)
    if not right:  # `>= 90% and x < 95%`: only the first comparison lacks its subject
        spelled = f"value {op1} {x1} and {rest}"
        return Hint(f"and 前面的比较要写出 value：{spelled}", f"the comparison before and needs its value: {spelled}")
    op2, x2 = _ascii_cmp(right.group(1)), right.group(2)
    spelled = f"value {op1} {x1} and value {op2} {x2}"
    if op1 in ("<", "<=") and op2 in (">", ">="):
        (op1, x1), (op2, x2) = (op2, x2), (op1, x1)
    if op1 in (">", ">=") and op2 in ("<", "<="):
        rng = ("[" if op1 == ">=" else "(") + f"{x1}, {x2}" + ("]" if op2 == "<=" else ")")
        return Hint(f"区间写成 {rng}，或每个比较都写出 value：{spelled}",
                    f"write the range as {rng}, or give each comparison its value: {spelled}")
    return Hint(f"每个比较都写出 value：{spelled}", f"give each comparison its value: {spelled}")


# How documents say a comparison in words, before or after the number ("90%以上", "低于60%"):
# in Chinese legal usage 以上/以下/以内 include the number, 超过/低于/不足 do not.
_CMP_WORDS_AFTER = {"以上": ">=", "及以上": ">=", "以下": "<=", "及以下": "<=", "以内": "<="}
_CMP_WORDS_BEFORE = {"不低于": ">=", "不少于": ">=", "达到": ">=", "高于": ">", "超过": ">", "大于": ">",
                     "低于": "<", "少于": "<", "小于": "<", "不足": "<", "不满": "<", "不超过": "<=",
                     "不高于": "<=", "不大于": "<="}
_NUMBER_BEFORE = re.compile(r"(\d[\d_.]*\s*[%％]?)\s*$")
_INCLUSIVE = re.compile(r"[（(]\s*(?:不包含|包含|不含|含)\s*[）)]")


def comparison_word_hint(word: str, number: str, after: bool) -> Hint:
    """`90%以上` → >= 90%, `低于60%` → < 60%: the comparison the words mean."""
    op = (_CMP_WORDS_AFTER if after else _CMP_WORDS_BEFORE)[word]
    number = re.sub(r"\s+", "", number).replace("％", "%")
    written = f"{number}{word}" if after else f"{word}{number}"
    strict = {">=": ">", "<=": "<"}.get(op)
    if strict:
        return Hint(f"“{written}”写成比较：{op} {number}（含本数；不含写 {strict} {number}）",
                    f"write “{written}” as a comparison: {op} {number} (the number included; {strict} {number} excludes it)")
    return Hint(f"“{written}”写成比较：{op} {number}", f"write “{written}” as a comparison: {op} {number}")


def _hint_for(tok, expected, text: str = "", a: int = 0) -> Hint | None:
    before_ = text[:tok.start_pos].rstrip() if text and tok.start_pos is not None else ""
    if str(tok) in "(（" and text and _INCLUSIVE.match(text, tok.start_pos) and _NUMBER_BEFORE.search(before_):
        # `>= 90%（含）`, `[80%（含）, 90%)`: 含/不含 is what the comparison or the bracket says
        return Hint("“（含）”“（不含）”不写在条件里：>= 90% 含 90%，> 90% 不含；区间用方括号表示含、圆括号表示不含，如 [80%, 90%)",
                    "(含)/(不含) is not written in a condition: >= 90% includes 90%, > 90% does not; in a range a square "
                    "bracket includes its end and a parenthesis excludes it, as in [80%, 90%)")
    if tok.type == "NAME" and str(tok) in _CMP_WORDS_AFTER and _NUMBER_BEFORE.search(before_):
        return comparison_word_hint(str(tok), _NUMBER_BEFORE.search(before_).group(1), after=True)
    if tok.type in ("NUMBER", "PERCENT") and before_:
        m = re.search(r"(?:^|[^\w`])(" + "|".join(sorted(_CMP_WORDS_BEFORE, key=len, reverse=True)) + r")$", before_)
        if m:
            return comparison_word_hint(m.group(1), str(tok), after=False)
    if text and tok.start_pos is not None and (
            (tok.type == "_LBRACE" and not text[text.rfind("\n", 0, tok.start_pos) + 1:tok.start_pos].strip())
            or (tok.type == "_NL" and "_LBRACE" in expected
                and re.match(r"(?:[ \t\u3000]*(?:#[^\n]*)?\n)*[ \t\u3000]*[{｛]", text[tok.start_pos:]))):
        # a { on a line of its own (as in C# or Java): the newline has already ended the header
        return Hint("{ 要写在声明那一行的末尾，不能单独成行，如 indicator 名称 weight 5 {",
                    "the { goes at the end of the declaration's line, not on a line of its own, as in indicator NAME weight 5 {")
    if ((tok.type in ("NAME", "QUOTED_NAME") or tok.type in _keywords()) and text and tok.start_pos is not None
            and (block := re.search(r"\b(given|expect)\s*[{｛][^{}｛｝]*$", text[a:tok.start_pos]))):
        # `given { a = 1 b = 2 }`: the items of a test need a comma (or a new line) between them
        example = "given { a = 1, b = 2 }" if block.group(1) == "given" else "expect { total = 90.00, grade = 优 }"
        return Hint(f"测试的各项之间用逗号或换行隔开：{example}",
                    f"the items of a test are separated by commas or new lines: {example}")
    if (text and tok.start_pos is not None and "_SEMI" in expected and tok.type not in ("_SEMI", "_RBRACE", "_NL")
            and re.search(r"\bbands\s*[{｛][^{}｛｝]*->[^{}｛｝]*$", text[a:tok.start_pos])):
        # `bands { >= 9 -> 10; >= 5 -> 5 otherwise -> 0 }`: a band ends at a ; or a new line
        return Hint("分档之间用分号或换行隔开：bands { >= 90% -> 5; >= 80% -> 4; otherwise -> 0 }",
                    "bands are separated by semicolons or new lines: bands { >= 90% -> 5; >= 80% -> 4; otherwise -> 0 }")
    if tok.type == "AND" and "_ARROW" in expected and text:
        hint = _range_band_hint(tok, text)
        if hint is not None:
            return hint
    if tok.type in ("RANGE_OPEN", "_LPAR") and text and re.match(r"\s*grade\b", text[a:]):
        # `良 [80, 90)`: a grade band is a comparison — the first that holds, top down
        m = _GRADE_RANGE.match(text, tok.start_pos)
        low = (">= " if m.group(1) in "[［" else "> ") + m.group(2) if m else ">= 80"
        named = re.search(r"([^\s{;｛；]+)\s*$", text[a:tok.start_pos])
        band = f"{named.group(1) if named else '良'} {low}"
        return Hint(f"等级自上而下取第一个成立的，只写下限，不写区间：如 {band}",
                    f"grades take the first that holds, top down: write the lower bound, not an interval, as in {band}")
    if "_RPAR" in expected and text and (tok.type in ("_RBRACE", "_SEMI") or tok.type in _keywords()):
        # `score ratio(target: 100%` then `}`: inside ( … ) the line break does not end the
        # statement, so the parser only stumbles at the } — name the ( that was left open
        opened = _unclosed(text, a, tok.start_pos, "(（", ")）")
        if opened is not None:
            line = text.count("\n", 0, opened) + 1
            return Hint(f"第 {line} 行的 ( 没有对应的 )", f"the ( on line {line} is never closed")
    if "_RBRACE" in expected and tok.type in ("INDICATOR", "INPUT", "LET", "GRADE", "ALERT", "OUTPUT", "TEST"):
        return Hint("上一个块可能缺少右花括号 }", "the block above may be missing a closing }")
    before = text[:tok.start_pos].rstrip() if text and tok.start_pos is not None else ""
    if tok.type in ("_EQ", "_COLON") and re.search(r"(?:^|[\s{;｛；])(value|score)$", before):
        word = before.rsplit(None, 1)[-1].lstrip("{;｛；")
        example = "value 实际支出 / 调整后预算数" if word == "value" else "score ratio(target: 100%)"
        return Hint(f"{word} 后面直接写表达式（不写 {tok}），如 {example}",
                    f"{word} is followed by the expression itself (no {tok}), as in {example}")
    if tok.type == "NAME" and str(tok)[:1] in "OoIl" and before[-1:].isdigit() and tok.start_pos == len(before):
        return Hint(f"数字里是否把 0 或 1 写成了字母 {str(tok)[0]}？", f"is the letter {str(tok)[0]} meant as the digit 0 or 1?")
    if tok.type == "NAME" and str(tok).startswith("分") and before[-1:].isdigit():
        return Hint("分值只写数字，不用写“分”：weight 5", "a weight is a bare number, without 分: weight 5")
    if tok.type == "_COMMA" and before[-1:].isdigit() and re.match(r"\d{3}(?!\d)", text[tok.end_pos:]):
        # `= 1,000` as documents write amounts: the comma ends the number
        m = re.match(r"\d{3}(?:[,，]\d{3})*", text[tok.end_pos:])
        digits = re.search(r"\d+$", before).group(0) + re.sub(r"[,，]", "", m.group(0))
        frac = re.match(r"\.\d+", text[tok.end_pos + m.end():])
        frac = frac.group(0) if frac else ""
        plain, grouped = digits + frac, f"{int(digits):_}" + frac
        return Hint(f"数字里不写千分位逗号：写 {plain}（或 {grouped}）",
                    f"numbers take no thousands separators: write {plain} (or {grouped})")
    if tok.type == "NUMBER" and "PERCENT" in expected:
        return Hint("百分数要带 %，如 95%", "percentages need a %, as in 95%")
    if tok.type == "_NL" and expected & {"NUMBER", "NAME", "_LPAR", "MINUS"}:
        return Hint("表达式在行尾没有写完；换行续写时请把运算符留在上一行末尾",
                    "the expression is incomplete at the end of the line; to wrap, end the line with the operator")
    word = str(tok)
    if tok.type == "NAME" and (word in _CHINESE_KEYWORDS or word in _CHINESE_LOGIC):  # 等级 by total, 权重 5, 且
        words = _keywords()
        allowed = {words[t] for t in expected if t in words}
        for keyword in (_CHINESE_KEYWORDS.get(word), _CHINESE_LOGIC.get(word)):
            if keyword in allowed:
                return Hint(f"关键字用英文：写 {keyword}（不写“{word}”）", f"keywords are English: write {keyword} (not {word})")
    if re.search(r"(?:^|[\s{;｛；(（])(?:如果|若)$", before):  # `score 如果 value >= 90% 则 …`: 如果 read as a name
        return Hint("条件写成 if 条件 then 甲 else 乙（不写“如果…则…否则”）",
                    "a condition is written if … then … else … (not 如果…则…否则)")
    if tok.type == "_LBRACE" and text:
        m = re.search(r"(?:^|\s)score\s+(\S+)\s*$", before)
        if m and m.group(1) in _CHINESE_FORMS:  # score 分档 { … }
            form = _CHINESE_FORMS[m.group(1)]
            return Hint(f"评分写法用英文关键字：score {form} {{ … }}（不写“{m.group(1)}”）",
                        f"scoring forms are English keywords: score {form} {{ … }} (not {m.group(1)})")
    if tok.type == "NAME":  # a misspelt keyword: wieght, scroe, otherwize
        import difflib

        words = _keywords()
        close = difflib.get_close_matches(str(tok), [words[t] for t in expected if t in words], n=1, cutoff=0.6)
        if close:
            return Hint("是否想写 " + "、".join(close) + "？", "did you mean " + ", ".join(close) + "?")
    return None


def _keywords() -> dict[str, str]:
    """Terminal name → keyword text, for the grammar's word keywords (weight, score, …)."""
    global _KEYWORDS
    if _KEYWORDS is None:
        _KEYWORDS = {t.name: t.pattern.value for t in get_parser().terminals
                     if t.pattern.type == "str" and t.pattern.value.isalpha()}
    return _KEYWORDS


_KEYWORDS: dict[str, str] | None = None
# The words policy documents use for what the language spells in English (types, settings, modes
# and alert levels do have Chinese words; declarations and scoring forms do not): hints only
_CHINESE_KEYWORDS = {
    "指标": "indicator", "输入": "input", "等级": "grade", "预警": "alert", "输出": "output", "测试": "test",
    "设置": "settings", "权重": "weight", "分值": "weight", "评分": "score", "得分": "score", "值": "value",
    "继承": "extends", "引用": "use", "删除": "remove", "覆盖": "override", "加分项": "bonus", "扣分项": "penalty",
    "编码": "code", "单位": "unit", "说明": "note", "消息": "message", "提示": "message", "其他": "otherwise",
    "其余": "otherwise", "否则": "otherwise", "上限": "max", "最高": "max",
}
# and/or/if written in Chinese inside a condition (否则 is else there, otherwise in bands)
_CHINESE_LOGIC = {"且": "and", "并且": "and", "而且": "and", "或": "or", "或者": "or", "则": "then", "那么": "then",
                  "否则": "else"}
_CHINESE_FORMS = {
    "分档": "bands", "区间": "bands", "分段": "bands", "线性": "linear", "插值": "linear", "清单": "checklist",
    "逐项": "checklist", "匹配": "match", "对应": "match",
}
_GRADE_RANGE = re.compile(r"([\[［(（])\s*([^,，、\s\]］)）]+)\s*[,，、]")


__all__ = ["parse_module", "ast"]

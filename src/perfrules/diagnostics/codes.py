"""The registry of diagnostic codes: stable ids, slugs, default severity and zh/en texts.

Codes never change meaning once published; retire a code rather than reuse it.
PR1xx syntax, PR2xx names and declarations, PR3xx types, PR4xx the indicator tree,
PR5xx scoring rules, PR6xx lint, PR7xx composition and tests, PR8xx data, PR9xx internal.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    slug: str
    severity: str  # "error" | "warning"
    zh: str
    en: str


_CODES = [
    # --- syntax
    Code("PR101", "unexpected-character", "error", "无法识别的字符 {char}", "unexpected character {char}"),
    Code("PR102", "unexpected-token", "error", "此处不应出现 {token}，应为 {expected}", "unexpected {token_en}; expected {expected_en}"),
    Code("PR103", "unexpected-eof", "error", "声明没有写完就结束了，应为 {expected}", "the declaration ends before it is complete; expected {expected_en}"),
    Code("PR104", "bad-literal", "error", "无法识别的字面量 {text}：{reason}", "invalid literal {text}: {reason}"),
    Code("PR105", "bad-template", "error", "消息模板中的表达式有误：{reason}", "invalid expression in message template: {reason}"),
    Code("PR106", "unterminated-string", "error", "字符串没有结束：这一行里缺少与 {quote} 配对的右引号", "the string is not closed: the {quote} has no closing quote on this line"),
    Code("PR107", "too-deep", "error", "嵌套太深，无法处理", "nested too deeply to be processed"),
    # --- names and declarations
    Code("PR201", "unknown-name", "error", "未定义的名称 {name}", "unknown name {name}"),
    Code("PR202", "duplicate-name", "error", "名称 {name} 重复定义", "{name} is defined more than once"),
    Code("PR203", "ambiguous-name", "error", "名称 {name} 有歧义，可能指 {candidates}", "{name} is ambiguous: it may mean {candidates}"),
    Code("PR204", "unknown-function", "error", "未知函数 {name}", "unknown function {name}"),
    Code("PR205", "wrong-arguments", "error", "函数 {name} 的参数不正确：{reason}", "wrong arguments to {name}: {reason}"),
    Code("PR206", "unknown-keyword", "error", "不认识的{what} {word}，可选：{choices}", "unknown {what} {word}; one of: {choices}"),
    Code("PR207", "cycle", "error", "循环依赖：{chain}", "circular dependency: {chain}"),
    Code("PR208", "misplaced-name", "error", "{name} 只能在{where}中使用", "{name} can only be used {where}"),
    Code("PR209", "unknown-choice", "error", "{value} 不是可选值，可选：{choices}", "{value} is not one of the choices: {choices}"),
    Code("PR210", "bad-declaration", "error", "{what}", "{what_en}"),
    Code("PR211", "duplicate-setting", "error", "{what} 重复设置", "{what} is set more than once"),
    Code("PR212", "bad-population-call", "error", "{what}", "{what_en}"),
    # --- types
    Code("PR301", "type-mismatch", "error", "{op} 不能用于 {left} 和 {right}", "{op} cannot be applied to {left} and {right}"),
    Code("PR302", "not-boolean", "error", "条件应为真/假（bool），这里是 {type}", "a condition must be bool, this is {type}"),
    Code("PR303", "not-numeric", "error", "{what}应为数值，这里是 {type}", "{what_en} must be a number, this is {type}"),
    Code("PR304", "bad-default", "error", "默认值 {value} 与类型 {type} 不符", "default {value} does not fit type {type}"),
    Code("PR306", "operand-type", "error", "{op} 需要{expected}，这里是 {type}", "{op} needs {expected_en}, this is {type}"),
    Code("PR305", "bad-range", "error", "取值范围有误：{reason}", "invalid range: {reason}"),
    Code("PR307", "bare-percent", "warning",
         "{value} 用作百分比：百分比按小数计（95% 即 0.95），{value} 就是 {shown}，可能漏了 %",
         "{value} is used as a percentage: percentages are fractions (95% is 0.95), so {value} means {shown}; a % may be missing"),
    # --- the indicator tree
    Code("PR401", "weights-mismatch", "error", "{parent} 的下级分值合计 {sum}，与其分值 {weight} 不符（相差 {diff}）", "the children of {parent} add up to {sum}, not its weight {weight} (difference {diff})"),
    Code("PR402", "total-mismatch", "error", "一级指标分值合计 {sum}，与总分 {total} 不符（相差 {diff}）", "top-level weights add up to {sum}, not the total {total} (difference {diff})"),
    Code("PR403", "leaf-without-score", "error", "末级指标 {name} 没有评分规则（score）", "leaf indicator {name} has no score rule"),
    Code("PR404", "score-needs-value", "error", "指标 {name} 的评分规则用到 value，但没有写 value", "the score of {name} uses the value, but the indicator has no value"),
    Code("PR405", "group-with-score", "error", "指标 {name} 有下级指标，不能再写 {what}", "{name} has child indicators and cannot have {what}"),
    Code("PR406", "bad-weight", "error", "分值应大于 0，这里是 {weight}", "a weight must be positive, this is {weight}"),
    Code("PR407", "duplicate-code", "error", "编码 {code} 重复使用（{other}）", "code {code} is used twice ({other})"),
    Code("PR408", "share-mismatch", "error", "{parent} 按比例（weights share）分配，下级合计 {sum}，应为 100%（相差 {diff}）", "{parent} shares its weight, but the children add up to {sum}, not 100% (difference {diff})"),
    # --- scoring rules
    Code("PR501", "band-never-matches", "error", "这一档永远不会命中：条件不可能成立", "this band can never match: its condition cannot hold"),
    Code("PR502", "band-shadowed", "error", "这一档永远不会命中：前面的档已覆盖 {range}", "this band can never match: earlier bands already cover {range}"),
    Code("PR503", "bands-not-covering", "error", "分档没有覆盖所有取值（例如 {example}），且没有 otherwise", "the bands do not cover every value (for example {example}) and there is no otherwise"),
    Code("PR504", "points-above-full", "error", "得分 {points} 超过该指标分值 {full}", "points {points} exceed the indicator's weight {full}"),
    Code("PR505", "negative-points", "error", "得分 {points} 为负数", "points {points} are negative"),
    Code("PR506", "linear-not-increasing", "error", "linear 的取值点应从小到大排列：{prev} 之后是 {this}", "linear points must increase: {this} comes after {prev}"),
    Code("PR507", "grade-unreachable", "error", "等级 {name} 永远不会得到：{reason}", "grade {name} can never be given: {reason}"),
    Code("PR508", "match-case", "error", "{what}", "{what_en}"),
    Code("PR509", "match-not-covering", "error", "match 没有覆盖 {missing}，且没有 otherwise", "match does not cover {missing} and has no otherwise"),
    Code("PR510", "bad-scoring", "error", "{what}", "{what_en}"),
    Code("PR511", "full-marks-unreachable", "warning",
         "{name} 满分只能得到 {reach}，不是 {full}：分值 {weights} 不是 {step} 的整数倍，而末级指标的得分保留 {places} 位小数",
         "{name} can score at most {reach}, not {full}: the weight(s) {weights} are not multiples of {step}, "
         "and leaf scores are rounded to {places} decimal place(s)"),
    Code("PR512", "checklist-above-full", "warning",
         "清单各项都成立时合计 {points} 分，超过该指标分值 {full}：得分会被截为 {full}",
         "the checklist items add up to {points} when all hold, above the indicator's weight {full}: the score is capped at {full}"),
    Code("PR514", "score-shown-rounded", "warning",
         "{name} 的分值 {full} 有 {weight_places} 位小数，而得分保留 {places} 位：满分计入总分时是 {full}，"
         "在结果和测试里却显示为 {shown}",
         "{name}'s weight {full} has {weight_places} decimal places but scores keep {places}: full marks count "
         "as {full} in the total, yet show as {shown} in results and tests"),
    Code("PR515", "ranges-overlap", "warning",
         "区间 {range} 与前面的区间重叠，重叠部分 {overlap} 按前面的档计分",
         "the range {range} overlaps an earlier range: {overlap} scores by the earlier band"),
    Code("PR516", "ranges-gap", "warning",
         "{gap} 夹在两个区间之间，不在任何区间内，按 otherwise 计分",
         "{gap} lies between two ranges and in neither: it scores by otherwise"),
    Code("PR513", "match-incomplete", "warning",
         "match 没有覆盖 {missing}，且没有 otherwise：这些值没有对应的分值，得分按缺失处理",
         "match does not cover {missing} and has no otherwise: those values have no points and score as missing"),
    # --- lint
    Code("PR601", "unused-input", "warning", "输入项 {name} 未被使用", "input {name} is never used"),
    Code("PR602", "unused-let", "warning", "{name} 已定义但未被使用", "{name} is defined but never used"),
    Code("PR603", "float-risk", "warning", "{what}", "{what_en}"),
    Code("PR604", "penalty-deduct", "warning",
         "扣分项 {name} 用了 deduct：deduct 算的是剩余分（满分减去扣分），作为扣分项会在没有任何扣分时扣满 {full} 分",
         "penalty {name} scores with deduct, which gives the points left (full minus the deduction): as a penalty it "
         "takes all {full} points when nothing is to be deducted"),
    Code("PR605", "empty-file", "warning", "规则文件里没有任何声明（只有注释或空白）",
         "the rule file declares nothing (only comments or blank lines)"),
    # --- composition and tests
    Code("PR701", "file-not-found", "error", "找不到文件 {path}", "file not found: {path}"),
    Code("PR702", "include-cycle", "error", "文件循环引用：{chain}", "files include each other: {chain}"),
    Code("PR703", "bad-override", "error", "{what}", "{what_en}"),
    Code("PR704", "bad-test", "error", "{what}", "{what_en}"),
    Code("PR705", "use-imports-definitions", "warning", "use 只引入输入项、let 和 def：{path} 中的 {count} 个指标不会被引入", "use imports inputs, lets and defs only: the {count} indicator(s) of {path} are not imported"),
    Code("PR706", "bad-include", "error", "{what}", "{what_en}"),
    # --- data
    Code("PR801", "bad-cell", "error", "字段 {field} 的值有误：{reason}", "field {field}: {reason}"),
    Code("PR802", "missing-columns", "error", "数据缺少必需的列：{columns}", "the data lacks required columns: {columns}"),
    Code("PR803", "missing-required", "error", "记录不能评分：{reason}", "the record cannot be scored: {reason}"),
    Code("PR804", "bad-data-file", "error", "无法读取数据文件：{reason}", "cannot read the data file: {reason}"),
    # --- internal
    Code("PR901", "internal-error", "error", "perfrules 内部错误：{reason}。请把该规则文件和命令报告给维护者", "internal error in perfrules: {reason}. Please report it with the rule file and command"),
]

CODES: dict[str, Code] = {c.code: c for c in _CODES}


def lookup(code: str) -> Code:
    return CODES[code]

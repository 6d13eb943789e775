"""The command line: exit codes, JSON diagnostics, languages, data files in every encoding and
format, output formats, missing columns named all at once, no traceback for any bad input, and
a light `perfrules check` (no numpy/pyarrow/polars imported)."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, RULESETS

from perfrules.cli import main

DATA = ROOT / "tests" / "data"
SMALL = DATA / "small.rules"
FIVE = ROOT / "tests" / "check" / "cases" / "acceptance_five_mistakes.rules"
HEALTH = RULESETS / "health" / "health.rules"

HEADER = ["单位名称", "实际支出", "调整后预算数", "考评等次", "违规次数"]
ROWS = [
    ["甲局", "95", "100", "良好", "1"],     # 57 + 24 + 8 = 89.00 良
    ["乙局", "100", "100", "优秀", "0"],    # 60 + 30 + 10 = 100.00 优
    ["丙局", "50", "0", "合格", ""],        # 执行 missing (调整后预算数 = 0) → 0 + 18 + 10 = 28.00 差
]
EXPECTED = [("甲局", "89.00", "良"), ("乙局", "100.00", "优"), ("丙局", "28.00", "差")]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def no_traceback(code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err
    assert code != 70, f"internal error reported:\n{err}"
    assert "internal error" not in err and "内部错误" not in err


# ---- check


def test_check_ok_exits_0(capsys):
    code, out, err = run(capsys, "check", "--lang", "en", HEALTH)
    assert code == 0 and "OK" in out
    no_traceback(code, out, err)


def test_check_warnings_only_exits_0(tmp_path, capsys):
    f = tmp_path / "w.rules"
    f.write_text("input 未用: number\ninput a: number\nindicator x weight 100 {\n  value a\n  score ratio(target: 1)\n}\n", encoding="utf-8")
    code, out, err = run(capsys, "check", "--lang", "en", f)
    assert code == 0 and "PR601" in out and "0 error(s), 1 warning(s)" in out
    code, out, _ = run(capsys, "check", "--no-warnings", "--lang", "en", f)
    assert code == 0 and "PR601" not in out


def test_check_errors_exit_1(capsys):
    code, out, err = run(capsys, "check", "--lang", "en", FIVE)
    assert code == 1 and "5 error(s)" in out
    no_traceback(code, out, err)


def test_check_several_files_and_folders(capsys):
    code, out, _ = run(capsys, "check", "--format", "json", SMALL, HEALTH)
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "check", "--format", "json", SMALL, FIVE)
    assert code == 1 and {d["file"] for d in json.loads(out)} == {str(FIVE)}


def test_check_folder_without_rule_files_is_not_silent(tmp_path, capsys):
    # `perfrules check wrong-folder` printed nothing and exited 0, as if every file were fine
    code, out, err = run(capsys, "check", tmp_path, "--lang", "en")
    assert code == 1 and f"{tmp_path}: no .rules file in this folder" in err
    code, out, err = run(capsys, "check", tmp_path, SMALL, "--lang", "zh")
    assert code == 1 and "文件夹里没有 .rules 文件" in err and "没有问题" in out


def test_check_json(capsys):
    code, out, err = run(capsys, "check", "--format", "json", "--lang", "en", FIVE)
    assert code == 1
    items = json.loads(out)
    assert len(items) == 5
    for d in items:
        assert {"code", "line", "column", "end_line", "end_column", "message", "severity", "file", "hint"} <= set(d)
        assert d["code"].startswith("PR") and isinstance(d["line"], int) and isinstance(d["column"], int)
    assert [d["code"] for d in items] == ["PR401", "PR201", "PR502", "PR301", "PR103"]


def test_check_json_reports_a_missing_file(tmp_path, capsys):
    # The JSON was [] for a file that is not there (only stderr and the exit status said so).
    missing = tmp_path / "nope.rules"
    code, out, err = run(capsys, "check", "--format", "json", "--lang", "en", missing, SMALL)
    assert code == 1 and "cannot read" in err
    items = json.loads(out)
    assert [(d["code"], d["file"], d["severity"]) for d in items] == [("PR701", str(missing), "error")]
    from jsonschema import Draft202012Validator
    Draft202012Validator(json.loads((ROOT / "schemas" / "diagnostic.schema.json").read_text(encoding="utf-8"))).validate(items[0])


@pytest.mark.parametrize("lang, word, message", [
    ("zh", "错误[PR201]", "未定义的名称 实际支处"),
    ("en", "error[PR201]", "unknown name 实际支处"),
])
def test_check_languages(capsys, lang, word, message):
    code, out, _ = run(capsys, "check", "--lang", lang, FIVE)
    assert word in out and message in out
    code, out, _ = run(capsys, "check", "--format", "json", "--lang", lang, FIVE)
    assert any(d["message"] == message for d in json.loads(out))


def test_check_language_from_environment(monkeypatch, capsys):
    monkeypatch.setenv("PERFRULES_LANG", "zh_CN.UTF-8")
    _, out, _ = run(capsys, "check", FIVE)
    assert "错误[PR201]" in out
    monkeypatch.setenv("PERFRULES_LANG", "en")
    _, out, _ = run(capsys, "check", FIVE)
    assert "error[PR201]" in out


def test_check_missing_file(capsys, tmp_path):
    code, out, err = run(capsys, "check", "--lang", "en", tmp_path / "nope.rules")
    assert code == 1 and "nope.rules" in err
    no_traceback(code, out, err)


# ---- eval: encodings and formats


def write_csv(path: Path, encoding: str, header=HEADER, rows=ROWS) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_output(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    if path.suffix == ".jsonl":
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return json.loads(path.read_text(encoding="utf-8"))


def assert_expected(rows: list[dict]) -> None:
    assert [(r["id"], r["total"], r["grade"]) for r in rows] == EXPECTED
    assert "调整后预算数 = 0" in rows[2]["flags"]
    assert rows[0]["执行"] == "57.00" and rows[0]["执行.value"] == "0.95"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_eval_csv_encodings(tmp_path, capsys, encoding):
    data = write_csv(tmp_path / "in.csv", encoding)
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "eval", SMALL, "--data", data, "--id", "单位名称", "-o", out, "--lang", "en")
    assert code == 0, err
    assert_expected(read_output(out))
    assert "3 records: 3 scored, 0 errors" in err


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
def test_eval_output_formats(tmp_path, capsys, suffix):
    data = write_csv(tmp_path / "in.csv", "utf-8")
    out = tmp_path / f"out{suffix}"
    code, _, err = run(capsys, "eval", SMALL, "--data", data, "--id", "单位名称", "-o", out, "--lang", "en")
    assert code == 0, err
    assert_expected(read_output(out))


def test_eval_json_and_jsonl_input(tmp_path, capsys):
    records = [dict(zip(HEADER, r)) for r in ROWS]
    records[1]["实际支出"] = 100  # native JSON numbers are fine too
    (tmp_path / "in.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    for name in ("in.json", "in.jsonl"):
        out = tmp_path / f"out-{name}.jsonl"
        code, _, err = run(capsys, "eval", SMALL, "--data", tmp_path / name, "--id", "单位名称", "-o", out, "--lang", "en")
        assert code == 0, err
        assert_expected(read_output(out))


def test_eval_alias_column_and_table_output(tmp_path, capsys):
    header = ["单位名称", "本年支出", "调整后预算数", "考评等次"]  # 本年支出 is declared as an alias
    data = write_csv(tmp_path / "in.csv", "utf-8", header, [r[:4] for r in ROWS])
    code, out, err = run(capsys, "eval", SMALL, "--data", data, "--id", "单位名称", "--lang", "zh")
    assert code == 0, err
    # no 违规次数 column: its default 0 applies, so 甲局 scores 57 + 24 + 10 = 91.00
    assert "甲局" in out and "91.00" in out and "95.00%" in out and "共 3 条记录" in err


def test_eval_error_rows_and_strict(tmp_path, capsys):
    rows = ROWS + [["丁局", "九十", "100", "良好", "0"], ["戊局", "90", "100", "优良", "0"]]
    data = write_csv(tmp_path / "in.csv", "utf-8", rows=rows)
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "eval", SMALL, "--data", data, "--id", "单位名称", "-o", out, "--lang", "en")
    assert code == 0 and "5 records: 3 scored, 2 errors" in err
    got = read_output(out)
    assert len(got) == 5 and [r["status"] for r in got] == ["ok", "ok", "ok", "error", "error"]
    assert "实际支出" in got[3]["error"] and "考评等次" in got[4]["error"]
    code, _, err = run(capsys, "eval", SMALL, "--data", data, "-o", out, "--strict", "--lang", "en")
    assert code == 3


def test_eval_missing_columns_named_at_once(tmp_path, capsys):
    data = write_csv(tmp_path / "in.csv", "utf-8", ["单位名称", "实际支出"], [["甲局", "1"]])
    code, out, err = run(capsys, "eval", SMALL, "--data", data, "--lang", "en")
    assert code == 2
    assert "调整后预算数" in err and "考评等次" in err and "违规次数" not in err  # it has a default
    assert err.count("\n") <= 2, err
    no_traceback(code, out, err)
    code, out, err = run(capsys, "eval", SMALL, "--data", data, "--lang", "zh")
    assert code == 2 and "缺少必需的列" in err and "调整后预算数、考评等次" in err


def test_eval_rule_file_with_errors_exits_1(tmp_path, capsys):
    data = write_csv(tmp_path / "in.csv", "utf-8")
    code, out, err = run(capsys, "eval", FIVE, "--data", data, "--lang", "en")
    assert code == 1 and "PR201" in err
    no_traceback(code, out, err)


BAD_DATA = {
    "empty.csv": b"",
    "only-bom.csv": b"\xef\xbb\xbf",
    "garbage.csv": bytes(range(256)) * 4,
    "ragged.csv": "单位名称,实际支出,调整后预算数,考评等次\n甲,1,2,良好,多,余\n乙\n".encode("utf-8"),
    "bad.json": b"[{\"a\": 1},",
    "object.json": b"{\"a\": 1}",
    "scalars.json": b"[1, 2, 3]",
    "bad.jsonl": "{\"实际支出\": 1}\nnot json\n[1]\n".encode("utf-8"),
    "table.xlsx": b"PK\x03\x04 not really a workbook",
    "data.parquet": b"PAR1 nope",
    "data.unknownext": b"a,b\n1,2\n",
    "quote.csv": "单位名称,实际支出,调整后预算数,考评等次\n\"甲,1,2,良好\n".encode("utf-8"),
}


@pytest.mark.parametrize("name", sorted(BAD_DATA))
def test_eval_bad_data_never_tracebacks(tmp_path, capsys, name):
    data = tmp_path / name
    data.write_bytes(BAD_DATA[name])
    for lang in ("zh", "en"):
        code, out, err = run(capsys, "eval", SMALL, "--data", data, "-o", tmp_path / "o.csv", "--lang", lang)
        no_traceback(code, out, err)
        assert code in (0, 2), (code, err)


@pytest.mark.parametrize("argv, want", [
    (["--data", "{missing}"], 2),
    (["--data", "{dir}"], 2),
    (["--data", "{good}", "--as-of", "2024-13-45"], 2),
    (["--data", "{good}", "--map", "{missing}"], 2),
    (["--data", "{good}", "--map", "{good}"], 2),
    (["--data", "{good}", "--id", "没有这一列"], 2),
    (["--data", "{good}", "--encoding", "no-such-codec"], 2),
    (["--data", "{good}", "--sheet", "2"], 0),  # a CSV has no sheets: ignored
    (["--data", "{good}", "-o", "{dir}/sub/none/out.csv"], 2),
    (["--data", "{good}", "-o", "{dir}/out.weird"], 2),
    # --summary-json into a folder or a missing folder was an internal error (exit 70) after scoring
    (["--data", "{good}", "--summary-json", "{dir}"], 2),
    (["--data", "{good}", "--summary-json", "{dir}/sub/none/s.json", "-o", "{dir}/o.csv"], 2),
    (["--data", "{good}", "--summary-json", "{good}"], 2),
])
def test_eval_bad_arguments_never_traceback(tmp_path, capsys, argv, want):
    good = write_csv(tmp_path / "in.csv", "utf-8")
    subs = {"missing": str(tmp_path / "nope.csv"), "dir": str(tmp_path), "good": str(good)}
    argv = [a.format(**subs) for a in argv]
    code, out, err = run(capsys, "eval", SMALL, *argv, "--lang", "en")
    no_traceback(code, out, err)
    assert code == want, err
    if want:
        assert err.strip() and len(err.strip().splitlines()) <= 2, err


@pytest.mark.parametrize("spelling", ["2024-06-30", "2024/6/30", "2024.6.30", "2024年6月30日", "20240630"])
def test_eval_as_of_takes_the_date_spellings_of_date_cells(tmp_path, capsys, spelling):
    # --as-of used to take only YYYY-MM-DD (date.fromisoformat) though a date cell takes all these.
    good = write_csv(tmp_path / "in.csv", "utf-8")
    code, out, err = run(capsys, "eval", SMALL, "--data", good, "--as-of", spelling, "--format", "csv")
    assert code == 0, err


def test_eval_as_of_names_what_is_wrong(tmp_path, capsys):
    good = write_csv(tmp_path / "in.csv", "utf-8")
    code, out, err = run(capsys, "eval", SMALL, "--data", good, "--as-of", "2024-02-30", "--lang", "zh")
    assert code == 2 and "--as-of" in err and "日期不存在" in err, err


def test_eval_warns_of_a_map_target_that_is_no_input(tmp_path, capsys):
    # 违规次数 has a default: a misspelt --map target left its column unused and every record
    # took 0 violations, without a word (the target was named only when a column was missing).
    header = ["单位名称", "实际支出", "调整后预算数", "考评等次", "违规数"]
    good = write_csv(tmp_path / "in.csv", "utf-8", header=header)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"违规数": "违规次数X"}, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "eval", SMALL, "--data", good, "--map", mapping, "--format", "csv", "--lang", "zh")
    assert code == 0 and "警告" in err and "违规次数X" in err and "不是规则里的输入项" in err, err
    mapping.write_text(json.dumps({"违规数": "违规次数"}, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "eval", SMALL, "--data", good, "--map", mapping, "--format", "csv", "--lang", "en")
    assert code == 0 and "warning" not in err, err


def test_eval_format_table_with_output_file_is_refused(tmp_path, capsys):
    # --format table -o out.csv printed the table and exited 0 without writing out.csv.
    good = write_csv(tmp_path / "in.csv", "utf-8")
    for extra in ([], ["--rulesets", str(RULESETS)]):
        rules = [] if extra else [SMALL]
        code, out, err = run(capsys, "eval", *rules, *extra, "--data", good, "--format", "table",
                             "-o", tmp_path / "out.csv", "--lang", "en")
        no_traceback(code, out, err)
        assert code == 2 and "--format table" in err, err
        assert not (tmp_path / "out.csv").exists()


def test_eval_missing_rule_file(tmp_path, capsys):
    good = write_csv(tmp_path / "in.csv", "utf-8")
    code, out, err = run(capsys, "eval", tmp_path / "nope.rules", "--data", good, "--lang", "en")
    assert code == 2
    no_traceback(code, out, err)


def test_bad_rule_file_bytes_never_traceback(tmp_path, capsys):
    f = tmp_path / "binary.rules"
    f.write_bytes(bytes(range(256)) * 8)
    code, out, err = run(capsys, "check", f)
    assert code == 1
    no_traceback(code, out, err)


# ---- real processes


def subprocess_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PERFRULES_LANG"] = "en"
    return env


def test_check_does_not_import_heavy_modules(tmp_path):
    code = (
        "import sys\n"
        "from perfrules.cli import main\n"
        f"rc = main(['check', {str(HEALTH)!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pyarrow', 'polars', 'pandas', 'openpyxl', 'pydantic'))\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(rc)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "HEAVY []" in p.stdout, p.stdout


def test_python_m_perfrules_importtime(tmp_path):
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "perfrules", "check", str(HEALTH)],
                       capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in p.stderr.splitlines() if line.startswith("import time:")}
    assert "lark" in imported  # sanity: importtime output was read
    assert not imported & {"numpy", "pyarrow", "polars", "pandas"}, sorted(imported & {"numpy", "pyarrow", "polars", "pandas"})


def test_exit_codes_in_a_real_process(tmp_path):
    good = write_csv(tmp_path / "in.csv", "utf-8")
    p = subprocess.run([sys.executable, "-m", "perfrules", "check", str(FIVE)], capture_output=True, text=True,
                       env=subprocess_env(), cwd=tmp_path, timeout=120)
    assert p.returncode == 1 and "PR201" in p.stdout and "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-m", "perfrules", "eval", str(SMALL), "--data", str(good), "-o", "o.jsonl"],
                       capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len((tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()) == 3


def test_language_defaults_to_chinese_unless_the_locale_says_english(monkeypatch):
    from perfrules.cli import default_lang

    for var in ("PERFRULES_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert default_lang() == "zh"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert default_lang() == "en"
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert default_lang() == "zh"
    monkeypatch.setenv("PERFRULES_LANG", "en")
    assert default_lang() == "en"


def test_eval_error_names_the_mapping_file_not_the_data_file(tmp_path, capsys):
    from perfrules.cli import main

    root = Path(__file__).resolve().parents[2]
    data = root / "rulesets" / "health" / "health-reference.csv"
    code = main(["eval", str(root / "rulesets" / "health" / "health.rules"), "--data", str(data),
                 "--map", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o.csv"), "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2
    assert "nope.json" in err and not err.startswith(str(data))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_eval_text_format_without_output_goes_to_stdout(tmp_path, fmt):
    data = write_csv(tmp_path / "d.csv", "utf-8")
    p = subprocess.run([sys.executable, "-m", "perfrules", "eval", str(SMALL), "--data", str(data), "--id", "单位名称",
                        "--format", fmt, "--lang", "zh"], capture_output=True, env=subprocess_env(), cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    assert not p.stdout.startswith(b"\xef\xbb\xbf")  # no BOM on a pipe
    out = p.stdout.decode("utf-8")
    if fmt == "csv":
        got = [(r["记录"], r["总分"], r["等级"]) for r in csv.DictReader(out.splitlines())]
    else:
        got = [(r["记录"], r["总分"], r["等级"]) for r in map(json.loads, out.splitlines())]
    assert got == EXPECTED
    assert "共 3 条记录" in p.stderr.decode()  # the summary stays on stderr
    assert sorted(os.listdir(tmp_path)) == ["d.csv"]  # nothing left behind


def test_eval_binary_format_without_output_is_refused(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", "utf-8")
    code, out, err = run(capsys, "eval", SMALL, "--data", data, "--format", "parquet", "--lang", "en")
    assert code == 2 and "needs -o FILE" in err and out == ""


@pytest.mark.parametrize("out", [None, "o.csv"])
def test_missing_columns_with_a_guessed_encoding_suggest_encoding(tmp_path, capsys, out):
    data = tmp_path / "d.csv"
    data.write_bytes("单位名称,实际支出\n甲局,1\n".encode("gbk"))
    argv = ["eval", SMALL, "--data", data, "--lang", "zh"] + (["-o", tmp_path / out] if out else [])
    code, _, err = run(capsys, *argv)
    assert code == 2 and "PR802" in err and "缺少必需的列" in err
    assert "按 gb18030 推测" in err and "--encoding" in err
    code, _, err = run(capsys, *argv, "--encoding", "gbk")
    assert code == 2 and "缺少必需的列" in err and "推测" not in err  # given, not guessed


def test_missing_files_are_explained_in_chinese(tmp_path, capsys):
    code, _, err = run(capsys, "eval", tmp_path / "无.rules", "--data", tmp_path / "d.csv", "--lang", "zh")
    assert code == 2 and "无法读取规则文件" in err and "文件或文件夹不存在" in err
    code, _, err = run(capsys, "check", tmp_path / "无.rules", "--lang", "zh")
    assert "文件或文件夹不存在" in err
    code, _, err = run(capsys, "check", tmp_path / "无.rules", "--lang", "en")
    assert "No such file or directory" in err


def test_map_target_that_is_no_input_is_named(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", "utf-8", header=["单位名称", "支出", "调整后预算数", "考评等次", "违规次数"])
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"支出": "实际支岀"}, ensure_ascii=False), encoding="utf-8")  # misspelt target
    code, _, err = run(capsys, "eval", SMALL, "--data", data, "--map", mapping, "--lang", "zh")
    assert code == 2 and "缺少必需的列：实际支出" in err and "列对照（--map）里的 实际支岀 不是规则里的输入项" in err
    assert "推测" not in err  # a UTF-8 header is no guess worth doubting


def test_output_that_is_a_folder_or_the_data_itself_is_refused_before_work(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", "utf-8")
    (tmp_path / "out.csv").mkdir()
    code, _, err = run(capsys, "eval", SMALL, "--data", data, "-o", tmp_path / "out.csv", "--lang", "zh")
    assert code == 2 and "是一个文件夹" in err
    before = data.read_bytes()
    code, _, err = run(capsys, "eval", SMALL, "--data", data, "-o", data, "--lang", "en")
    assert code == 2 and "is the data file itself" in err and data.read_bytes() == before


def test_sigterm_ends_a_run_like_ctrl_c_and_leaves_no_partial_file(tmp_path):
    import signal
    import time

    rows = ["单位名称,实际支出,调整后预算数,考评等次,违规次数"] + [f"局{i},{i % 97},100,良好,{i % 3}" for i in range(400_000)]
    data = tmp_path / "big.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "o.parquet"
    p = subprocess.Popen([sys.executable, "-m", "perfrules", "eval", str(SMALL), "--data", str(data), "-o", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env(), cwd=tmp_path)
    deadline = time.monotonic() + 60
    while p.poll() is None and time.monotonic() < deadline and not any(
            x.name.startswith(".o.parquet") for x in tmp_path.iterdir()):
        time.sleep(0.02)  # until the output is being written
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    if p.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert p.returncode == 143 and b"Traceback" not in err  # 128 + SIGTERM
    assert sorted(x.name for x in tmp_path.iterdir()) == ["big.csv"]  # no output, no hidden .tmp


def test_routed_table_shows_alerts_as_the_one_ruleset_table_does(tmp_path, capsys):
    # with --rulesets the terminal table had only an error column: a record's alerts were not shown
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "a.rules").write_text(
        'applies to "甲单位"\nsettings { total 10 }\ninput 支出: amount\ninput 预算: amount\n'
        'indicator 执行 weight 10 { value 支出 / 预算; score ratio(target: 100%) }\n'
        'alert 执行偏低 warning when 执行.value < 50% { message "执行率 {执行.value:pct}: 偏低" }\n'
        'alert 执行过低 severe when 执行.value < 30% { message "过低" }\n', encoding="utf-8")
    data = tmp_path / "all.csv"
    data.write_text("单位名称,支出,预算\n甲单位,20,100\n乙单位,1,1\n", encoding="utf-8")
    code, out, err = run(capsys, "eval", "--rulesets", tmp_path / "rs", "--data", data, "--id", "单位名称", "--lang", "zh")
    assert code == 0, err
    assert "预警 / 错误" in out
    assert "执行偏低, 执行过低" in out and "没有适用于“乙单位”的规则集" in out


def test_unknown_id_column_suggests_the_data_columns(tmp_path, capsys):
    # `--id 单位` for a column 单位名称: "no id column 单位" and nothing else, on every path
    good = write_csv(tmp_path / "in.csv", "utf-8")
    for extra in (["--format", "table"], ["-o", tmp_path / "out.csv"], ["--backend", "row", "-o", tmp_path / "o.jsonl"]):
        code, out, err = run(capsys, "eval", SMALL, "--data", good, "--id", "单位", "--lang", "en", *extra)
        assert code == 2 and "no id column 单位 (--id); did you mean 单位名称?" in err, err
    code, out, err = run(capsys, "eval", SMALL, "--data", good, "--id", "zzz", "--lang", "zh")
    assert code == 2 and "找不到记录标识列 zzz（--id）；数据里的列：单位名称" in err, err


def test_sheet_for_a_csv_is_not_ignored_in_silence(tmp_path, capsys):
    good = write_csv(tmp_path / "in.csv", "utf-8")
    code, out, err = run(capsys, "eval", SMALL, "--data", good, "--sheet", "2", "--format", "csv", "--lang", "en")
    assert code == 0 and "--sheet applies to XLSX files only" in err, err
    code, out, err = run(capsys, "eval", SMALL, "--data", good, "--format", "csv", "--lang", "en")
    assert "--sheet" not in err


def test_compile_shows_the_ir_and_the_code_in_the_rule_files_words(capsys):
    # the IR summary printed Settings(rounding='half_up', …, total=Fraction(100, 1), …), scores
    # as RatioScore, and the generated code read its inputs as env[k0] with nothing to say which
    code, out, err = run(capsys, "compile", ROOT / "tests" / "acceptance" / "methods.rules", "--emit", "ir")
    assert code == 0
    assert "settings { rounding half_up 2; missing zero; time_progress by_month; total 100 }" in out.splitlines()
    assert "  indicator 课题完成数 [normal] weight 5 score ratio" in out.splitlines()
    assert "Fraction(" not in out and "Score" not in out
    code, out, err = run(capsys, "compile", ROOT / "tests" / "acceptance" / "methods.rules")
    assert code == 0 and "    i0 = env[k0]  # 完成数" in out.splitlines()


def test_main_puts_back_the_sigterm_handler_it_replaced(capsys):
    # The handler stayed installed in a process that called main() (this test run): processes
    # it forked later turned Pool.terminate's SIGTERM into an exception while holding the pool's
    # queue lock, and the pool's shutdown hung (seen in test_a_forked_worker_builds_its_own_…).
    import signal

    def mine(signum, frame):  # pragma: no cover - never sent
        pass

    before = signal.signal(signal.SIGTERM, mine)
    try:
        assert main(["check", str(SMALL)]) == 0
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, before)
    capsys.readouterr()


@pytest.mark.parametrize("lang, expected", [("en", "cannot write output file"), ("zh", "磁盘空间不足")])
def test_a_full_disk_names_the_output_in_the_users_language(tmp_path, capsys, monkeypatch, lang, expected):
    """A write that fails with no file name (ENOSPC from a buffered write) printed only
    "[Errno 28] No space left on device": no file, and English under --lang zh."""
    import errno

    import perfrules.batch

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(perfrules.batch, "run_file", full)
    out_path = tmp_path / "结果.csv"
    code, out, err = run(capsys, "eval", HEALTH, "--data", RULESETS / "health" / "health-2024.csv", "-o", out_path, "--lang", lang)
    assert code == 2
    no_traceback(code, out, err)
    assert expected in err and str(out_path) in err, err
    assert "[Errno" not in err


def test_argument_errors_in_the_users_language_named_by_the_subcommand(capsys):
    # argparse's messages were English under --lang zh, and an unknown option after a
    # subcommand was blamed on `perfrules`, not on the subcommand
    with pytest.raises(SystemExit) as exc:
        main(["check", "--lang", "zh", "--bogus", "x.rules"])
    assert exc.value.code == 2
    assert "perfrules check：错误：无法识别的参数：--bogus" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", "--lang", "en", "--bogus", "x.rules"])
    assert "perfrules check: error: unrecognized arguments: --bogus" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "x.rules", "--lang=zh"])
    assert "perfrules eval：错误：缺少参数：--data" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "x.rules", "--data", "d.csv", "--columns", "totl", "--lang", "en"])
    assert "invalid choice: 'totl'" in capsys.readouterr().err  # (and did you mean total?)
    with pytest.raises(SystemExit):
        main(["evl", "--lang", "zh"])
    assert "是否想写 eval？" in capsys.readouterr().err

"""A list or an object where an input wants text (a JSON record's "单位": ["甲"], a list or struct
column of an Arrow table): an error row naming the field, on every path. A text input took
str(value) on the row paths (['甲'] in messages and outputs) and the columnar path stopped with
ArrowNotImplementedError from pyarrow's dictionary_encode (perfrules 内部错误 on the command line)."""
import json

import pyarrow as pa
import pytest

import perfrules
from perfrules.cli import main

RULES = """
settings { total 1 }
input 单位: text
input 等次: choice(优, 良) = 良
input 支出: amount
indicator 执行 weight 1 {
  value 支出
  score ratio(target: 100)
}
output 单位名 = 单位
"""

BAD = [["甲"], {"名": "甲"}, ("甲",), {"甲"}, [], {}]


@pytest.fixture(scope="module")
def rules():
    return perfrules.compile(RULES)


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
@pytest.mark.parametrize("field", ["单位", "等次"])
@pytest.mark.parametrize("raw", BAD, ids=repr)
def test_row_paths_refuse_a_list_or_an_object_for_text(rules, backend, field, raw):
    res = rules.evaluate_one({"单位": "甲", "支出": 50, field: raw}, backend=backend)
    assert not res.ok
    assert [f.field for f in res.error.fields] == [field]
    assert "文字" in res.error.fields[0].message and "text" in res.error.fields[0].message_en


@pytest.mark.parametrize("column", [
    pa.array([["甲"], None, ["乙", "丙"]]),
    pa.array([{"名": "甲"}, None, {"名": "乙"}]),
    pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
], ids=["list", "struct", "map"])
def test_columnar_path_gives_error_rows_not_an_arrow_error(rules, column):
    table = pa.table({"单位": column, "支出": pa.array([50, 60, 70])})
    out = rules.evaluate_table(table, lang="en").to_pylist()
    assert [r["status"] for r in out] == ["error", "ok", "error"]
    assert out[0]["error"].startswith("单位: ") and "text" in out[0]["error"]
    ref = rules.evaluate_table(table, lang="en", backend="reference").to_pylist()
    assert out == ref


def test_a_json_file_with_a_list_for_a_text_field(tmp_path, capsys):
    (tmp_path / "r.rules").write_text(RULES, encoding="utf-8")
    recs = [{"单位": ["甲"], "支出": 50}, {"单位": "乙", "支出": 60}]
    (tmp_path / "d.json").write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    for out in ("o.csv", None):
        args = ["eval", str(tmp_path / "r.rules"), "--data", str(tmp_path / "d.json"), "--lang", "en",
                "--summary-json", str(tmp_path / "s.json")]
        assert main(args + (["-o", str(tmp_path / out)] if out else [])) == 0
        summary = json.loads((tmp_path / "s.json").read_text())
        assert (summary["records"], summary["results"], summary["errors"]) == (2, 1, 1)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Arrow" not in err


@pytest.mark.parametrize("backend", ["row", "rowfraction", "reference"])
@pytest.mark.parametrize("field", ["单位", "支出"])
@pytest.mark.parametrize("raw", ["[1, 2]", "['甲', '乙']", "[1.5, 2.5]", "[[1]]", "['甲']", "[7]"])
def test_a_numpy_array_is_a_list_not_a_scalar(rules, backend, field, raw):
    # np.array([1, 2]) raised "ValueError: can only convert an array of size 1 to a Python
    # scalar" from inside the conversion; np.array(['甲']) was read as the text 甲
    np = pytest.importorskip("numpy")
    res = rules.evaluate_one({"单位": "甲", "支出": 50, field: np.array(eval(raw))}, backend=backend)
    assert not res.ok and [f.field for f in res.error.fields] == [field]

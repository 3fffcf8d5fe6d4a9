import pandas as pd

from ncnet import report


def _lora_summary(values, p=0.5):
    return {str(r): {"S": {"mean": s, "p_S_above_2": [p]}} for r, s in values.items()}


def test_shape_sentence_mixed_suite_shape():
    text = report._shape_sentence(_lora_summary({1: 2.0, 2: 2.3, 8: 2.05}, p=0.01))
    assert "Peak at r = 2" in text and "S > 2 at r = 2, 8" in text
    assert "ours shows that shape." in text


def test_shape_sentence_rising_from_below():
    text = report._shape_sentence(_lora_summary({1: 1.7, 8: 1.9}))
    assert "S stays below 2 at every rank" in text
    assert "ours does not show that shape." in text and "multilingual" in text


def _toy_entry(mean, lo, hi, frac_above, frac_below=0.0, top=2.5, above_tsirelson=0.0):
    return {"runs": 50, "S": {"mean": mean, "ci": [lo, hi], "max": top},
            "fraction_S_above_2": frac_above, "fraction_S_below_1.5": frac_below,
            "fraction_S_above_tsirelson": above_tsirelson}


def test_paper_comparison_verdicts():
    summary = {"2": _toy_entry(1.3, 1.2, 1.4, 0.0, frac_below=0.6),
               "3": _toy_entry(2.3, 2.2, 2.4, 1.0, top=3.5, above_tsirelson=0.1),
               "4": _toy_entry(2.02, 1.95, 2.1, 0.3)}
    table = report.paper_comparison(summary)
    assert isinstance(table, pd.DataFrame)
    assert table["verdict"].tolist() == ["agrees"] * 5
    summary["3"] = _toy_entry(2.1, 1.95, 2.2, 0.6, top=3.0)
    summary["4"] = _toy_entry(2.05, 2.01, 2.1, 0.5)
    verdicts = report.paper_comparison(summary)["verdict"].tolist()
    assert verdicts == ["agrees", "does not reproduce", "does not reproduce", "partly", "agrees"]

"""Taxonomy codes and multilingual labels; grades by source kind and their editing."""

from __future__ import annotations

import datetime as dt

import pytest

from intel import grading, taxonomy
from intel.db import session_scope
from intel.errors import CounterflowError, NotFound
from intel.grading import grade_report
from intel.models import Report
from intel.specs import load_spec


def test_every_ctdc_flag_of_the_spec_is_a_taxonomy_field():
    spec = load_spec("ctdc")
    for facet in ("exploitation", "control", "recruitment"):
        ctdc = taxonomy.ctdc_fields(facet)
        assert spec.flags[facet], facet
        for column, code in spec.flags[facet].items():
            assert ctdc.get(column) == code, (facet, column)


@pytest.mark.parametrize(
    ("value", "code"),
    [("Sexual exploitation", "sexual"), ("forced labor", "forced_labour"), ("Forced_Labour", "forced_labour"),
     ("Other forms of exploitation", "other"), ("domestic servitude", "domestic_servitude")],
)  # fmt: skip
def test_normalise_code(value, code):
    assert taxonomy.normalise_code("exploitation", value) == code


def test_unknown_code_names_value_and_choices():
    with pytest.raises(CounterflowError) as err:
        taxonomy.normalise_code("exploitation", "sexx")
    assert "'sexx'" in err.value.problem and "forced_labour" in err.value.fix


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She was forced into prostitution after a fake job offer on Facebook",
         {("exploitation", "sexual"): "prostitution", ("recruitment", "job_offer"): "job offer", ("recruitment", "online"): "facebook"}),
        ("Les victimes, séquestrées, ont été forcées à la prostitution après une fausse offre d'emploi",
         {("exploitation", "sexual"): "prostitution", ("control", "restricts_movement"): "séquestrées", ("recruitment", "job_offer"): "offre d'emploi"}),
        ("Le ragazze sono state costrette alla prostituzione; il gommone è partito dalla Libia",
         {("exploitation", "sexual"): "prostituzione", ("transport", "boat"): "gommone"}),
        ("تم اختطاف الفتيات وإجبارهن على الدعارة بعد وعود كاذبة",
         {("recruitment", "abduction"): "اختطاف", ("exploitation", "sexual"): "الدعارة", ("control", "false_promises"): "وعود كاذبة"}),
    ],
)  # fmt: skip
def test_labels_record_their_trigger_words(text, expected):
    labels = {(lab.facet, lab.code): lab.triggers for lab in taxonomy.label_text(text)}
    for key, word in expected.items():
        assert key in labels and word in labels[key]


def test_labels_need_whole_words():
    assert taxonomy.label_text("a boathouse and a busy day") == []


def test_default_grades_by_kind():
    assert grading.default_grades("court") == ("A", 2)
    assert grading.default_grades("app_tip") == ("E", 4)
    assert grading.default_grades("something") == ("F", 6)


def test_grade_report_edits_and_checks(engine):
    with session_scope(engine) as s:
        r = Report(observed_on=dt.date(2023, 1, 1), fingerprint="g1")
        s.add(r)
        s.flush()
        rid = r.id
    with session_scope(engine) as s:
        grade_report(s, report_id=rid, reliability="b", credibility=2)
    with session_scope(engine) as s:
        got = s.get(Report, rid)
        assert got is not None and (got.reliability, got.credibility) == ("B", 2)
        with pytest.raises(CounterflowError, match="'G'"):
            grade_report(s, report_id=rid, reliability="G")
        with pytest.raises(CounterflowError, match="credibility 9 "):
            grade_report(s, report_id=rid, credibility=9)
        with pytest.raises(NotFound):
            grade_report(s, report_id=999_999, credibility=1)

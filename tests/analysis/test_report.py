"""The trial report: every section in the HTML, the PDF's text, numbers traced to the results.

A Kim-like cohort (the analysis engine's fixture) is matched to a synthetic PRO-ACT registry
(the registry's generator and reader), analysed, and reported.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from scipy import stats
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.controls import matched_controls
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.report import build_report
from alstrial.analysis.report.honesty import natural_history_check
from alstrial.analysis.report.tables import kim_table, number, p_equals, p_value
from alstrial.registry.proact import read_registry
from alstrial.registry.synth import synthesize, write_proact

SECTIONS = (
    "settings",
    "flow",
    "baseline",
    "efficacy",
    "mixed-model",
    "responders",
    "figures",
    "matching",
    "safety",
    "honesty",
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("registry")
    write_proact(synthesize(1500, seed=11), folder)
    return read_registry(folder)


@pytest.fixture(scope="module")
def matched(registry):
    subjects, visits = kim_like_cohort(seed=4, n_treated=22, n_control=0)
    trial = AnalysisData.from_frames(subjects, visits)
    control_subjects, control_visits, match = matched_controls(
        trial.subjects, trial.visits, registry
    )
    data = trial.combine(AnalysisData.from_frames(control_subjects, control_visits))
    return data, analyse(data, matching=match)


@pytest.fixture(scope="module")
def report(matched, tmp_path_factory):
    data, result = matched
    safety = {
        "Adverse events by term": pd.DataFrame(
            {"term": ["Headache", "Low back pain"], "subjects": [5, 3], "percent": [22.7, 13.6]}
        )
    }
    out = tmp_path_factory.mktemp("report")
    paths = build_report(result, data, out, trial="kim2009", safety=safety)
    text = " ".join(page.extract_text() for page in PdfReader(paths.pdf).pages)
    return paths, paths.html.read_text(encoding="utf-8"), re.sub(r"\s+", " ", text)


def test_html_has_every_section_and_figure(report):
    paths, html, _ = report
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    embedded = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    files = [
        paths.html.parent / "figures" / f"{name}.svg"
        for name in ("trajectories", "paired_slopes", "love_plot")
    ]
    # The HTML is self-contained: each figure file is embedded, byte for byte.
    assert [base64.b64decode(e) for e in embedded] == [f.read_bytes() for f in files]
    assert all(f.stat().st_size > 1000 for f in files)
    assert {p.name for p in paths.figures} == {
        "trajectories.svg",
        "paired_slopes.svg",
        "love_plot.svg",
    }


def test_the_stylesheet_reaches_the_page_unescaped(report):
    """Escaped quotes would silently drop the page-number footer and the font rules."""
    paths, html, _ = report
    assert 'content: "page " counter(page)' in html
    assert "&#34;" not in html.split("</style>")[0]
    pages = PdfReader(paths.pdf).pages
    assert f"page 1 of {len(pages)}" in pages[0].extract_text()


def test_every_output_names_its_settings(report):
    _, html, text = report
    for page in (html, text):
        assert "30.4375" in page
        assert "90 days" in page
        assert "OLS over all lead-in visits" in page


def test_pdf_text_has_the_sections_and_the_safety_table(report):
    _, _, text = report
    for heading in (
        "Study flow",
        "Baseline characteristics",
        "Efficacy: ALSFRS-R",
        "Mixed model",
        "Responders",
        "External controls",
        "Safety",
        "How far can this design be trusted",
        "Regression to the mean",
        "Informative dropout",
        "Headache",
    ):
        assert heading in text


def test_efficacy_numbers_trace_to_the_result(matched, report):
    _, result = matched
    _, html, text = report
    table = result.slopes.table
    treated = table[table["arm"] == "treated"]
    # Kim 2009 convention: decline per 3 months = -3 x mean slope (independent recomputation).
    lead_in_decline = number(-3 * treated["lead_in_slope"].mean())
    assert kim_table(result).rows[0][1] == lead_in_decline
    assert lead_in_decline in text
    paired = stats.ttest_rel(treated["follow_up_slope"], treated["lead_in_slope"])
    assert p_value(paired.pvalue) in kim_table(result).rows[0][3]
    assert "positive = points lost" in html


def test_balance_and_registry_flow_are_reported(matched, report):
    _, result = matched
    _, html, text = report
    match = result.matching
    assert f"{match.flow['eligible']}" in text
    age = match.balance.table.loc["age_years"]
    cells = [number(age[c], 2) for c in ("mean_treated_before", "mean_control_before")]
    cells += [number(age["smd_before"], 3, signed=True), number(age["var_ratio_before"], 2)]
    assert "<td>Age, years</td>" + "".join(f'<td class="num">{c}</td>' for c in cells) in html
    assert "SD of the treated before matching" in text
    assert f"Treated subjects matched {match.matches['treated_id'].nunique()} of 22" in text
    first = match.matches.iloc[0]
    assert f"<td>{first.treated_id}</td><td>{first.control_id}</td>" in html


def test_natural_history_check_equals_direct_paired_t_tests(matched):
    _, result = matched
    check = natural_history_check(result.matching)
    pool = result.matching.pool.candidates.dropna(subset=["lead_in_slope", "follow_up_slope"])
    direct = stats.ttest_rel(pool["follow_up_slope"], pool["lead_in_slope"])
    everyone = check.row("registry_all")
    assert everyone.n == len(pool)
    assert everyone.p_value == pytest.approx(direct.pvalue)
    assert everyone.difference == pytest.approx(
        (pool["follow_up_slope"] - pool["lead_in_slope"]).mean()
    )
    # the fastest quarter by lead-in slope (known on the index day) of every eligible patient,
    # including those without a follow-up slope (controls who died or dropped out early)
    cut = np.quantile(result.matching.pool.candidates["lead_in_slope"].dropna(), 0.25)
    fast = pool[pool["lead_in_slope"] <= cut]
    assert check.row("registry_fast").n == len(fast)
    assert check.row("registry_fast").p_value == pytest.approx(
        stats.ttest_rel(fast["follow_up_slope"], fast["lead_in_slope"]).pvalue
    )
    matched_ids = set(result.matching.matches["control_id"])
    assert check.row("registry_matched").n == len(pool[pool["subject_id"].isin(matched_ids)])


def test_a_failure_leaves_nothing_half_written(matched, tmp_path, monkeypatch):
    data, result = matched
    import weasyprint

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    with pytest.raises(OSError, match="disk full"):
        build_report(result, data, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_registry_pool_slopes_equal_the_engine_slopes_of_the_matched_controls(matched):
    _, result = matched
    pool = result.matching.pool.candidates.set_index("subject_id")
    engine = result.slopes.table.set_index("subject_id")
    controls = engine.index[engine["arm"] == "control"]
    assert len(controls) >= 5
    for column in ("lead_in_slope", "follow_up_slope", "change", "n_lead_in", "n_follow_up"):
        np.testing.assert_allclose(
            engine.loc[controls, column].to_numpy(float),
            pool.loc[controls, column].to_numpy(float),
            rtol=1e-12,
            err_msg=column,
        )


def test_kim_table_means_are_over_the_subjects_the_paired_test_compares():
    subjects, visits = kim_like_cohort(seed=8, n_treated=10, n_control=10)
    # T001 loses its follow-up visits: it has a lead-in slope but no follow-up slope.
    index = subjects.set_index("subject_id").loc["T001", "index_day"]
    visits = visits[~((visits["subject_id"] == "T001") & (visits["day"] > index))]
    result = analyse(AnalysisData.from_frames(subjects, visits))
    table = result.slopes.table
    paired = table[(table["arm"] == "treated") & table["follow_up_slope"].notna()]
    assert len(paired) == 9
    row = kim_table(result).rows[0]
    assert row[0] == "MSC-treated (n=9)"
    assert row[1] == number(-3 * paired["lead_in_slope"].mean())
    everyone = table.loc[table["arm"] == "treated", "lead_in_slope"]
    assert paired["lead_in_slope"].mean() != pytest.approx(everyone.mean(), abs=1e-6)
    test = stats.ttest_rel(paired["follow_up_slope"], paired["lead_in_slope"])
    assert row[3] == p_value(test.pvalue)


def test_dropout_check_equals_a_direct_welch_test(matched, report):
    _, result = matched
    _, html, _ = report
    check = natural_history_check(result.matching).dropout
    entries = result.matching.pool.entries.dropna(subset=["lead_in_slope"])
    lost = entries.loc[entries["lost"], "lead_in_slope"]
    kept = entries.loc[~entries["lost"], "lead_in_slope"]
    assert check.lost == len(lost) > 0
    assert check.n == len(entries)
    assert check.difference == pytest.approx(lost.mean() - kept.mean())
    assert check.p_value == pytest.approx(stats.ttest_ind(lost, kept, equal_var=False).pvalue)
    sentence = f"of {check.n} patients followed through a full lead-in, {check.lost} had"
    assert sentence in re.sub(r"\s+", " ", html)


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.04, "p = 0.040"),
        (0.0004, "p < 0.001"),
        (float("nan"), "p not computable"),
        (0.001, "p = 0.001"),
    ],
)
def test_p_values_in_running_text(p, text):
    assert p_equals(p) == text


def test_study_flow_counts_and_reasons():
    from alstrial.analysis.report.flow import study_flow

    subjects, visits = kim_like_cohort(seed=9, n_treated=8, n_control=6)
    subjects["index_day"] = subjects["index_day"].astype("Int64")
    subjects.loc[subjects["subject_id"] == "T002", "index_day"] = pd.NA  # never treated
    t003 = subjects.set_index("subject_id").loc["T003", "index_day"]
    visits = visits[~((visits["subject_id"] == "T003") & (visits["day"] > t003))]
    data = AnalysisData.from_frames(subjects, visits)
    flows = study_flow(analyse(data), data, {"screened": 11, "reasons": {"age > 75": 3}})
    treated, control = flows
    steps = {s.label: s for s in treated.steps}
    assert steps["Screened"].n == 11
    assert steps["Screened"].reasons == (("age > 75", 3),)
    assert steps["Enrolled"].n == 8
    assert steps["Treated (first injection)"].n == 7
    assert steps["Treated (first injection)"].reasons[0][1] == 1
    analysed = steps["Analysed: lead-in and follow-up slopes"]
    assert analysed.n == 6
    assert [n for _, n in analysed.reasons] == [1]  # T003: no follow-up visit
    assert [s.n for s in control.steps] == [6, 6, 6]

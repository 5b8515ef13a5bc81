"""Writing an :class:`~alstrial.analysis.efficacy.EfficacyResult` to a folder.

Tables (CSV): ``subject_slopes.csv``, ``arm_summary.csv``, ``tests.csv``, ``responders.csv``,
``responder_tests.csv`` (with controls),
``mixed_model.csv``, ``exclusions.csv`` (and ``cafs.csv`` when CAFS was computed); the JSON
object (``analysis.json``); figures (PNG and PDF): ``trajectories``, ``paired_slopes``.
The analysis pipeline (:mod:`alstrial.analysis.pipeline`) writes them into a staging folder and
moves the whole run into place only when every file is written, so a failure leaves no
half-written set.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import EfficacyResult
from alstrial.analysis.figures import paired_slopes_figure, trajectories_figure
from alstrial.analysis.slopes import windowed_visits

FIGURES = ("trajectories", "paired_slopes")
#: Every file this module may write (other tools, e.g. the report, may share the folder).
OUTPUT_NAMES = (
    "subject_slopes.csv",
    "arm_summary.csv",
    "tests.csv",
    "responders.csv",
    "responder_tests.csv",
    "exclusions.csv",
    "mixed_model.csv",
    "cafs.csv",
    "analysis.json",
    *(f"{figure}.{ext}" for figure in FIGURES for ext in ("png", "pdf")),
)


def result_json(result: EfficacyResult) -> str:
    """The ``--json`` object as text (strict JSON: missing values are ``null``)."""
    return json.dumps(result.to_dict(), indent=2, allow_nan=False)


def write_outputs(result: EfficacyResult, data: AnalysisData, folder: str | Path) -> list[Path]:
    """Write every table and figure into ``folder`` (created); returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_all(result, data, folder)
    return sorted(path for path in folder.iterdir() if path.name in OUTPUT_NAMES)


def _write_all(result: EfficacyResult, data: AnalysisData, folder: Path) -> None:
    result.slopes.table.to_csv(folder / "subject_slopes.csv", index=False)
    result.summary().to_csv(folder / "arm_summary.csv", index=False)
    result.tests_table().to_csv(folder / "tests.csv", index=False)
    result.responders.summary().to_csv(folder / "responders.csv", index=False)
    if result.responders.comparisons:
        pd.DataFrame([c.to_dict() for c in result.responders.comparisons]).to_csv(
            folder / "responder_tests.csv", index=False
        )
    result.slopes.exclusions.to_csv(folder / "exclusions.csv", index=False)
    models = [result.mixed_treated] + ([result.mixed_two_arm] if result.mixed_two_arm else [])
    mixed = pd.concat(
        [
            m.summary()
            .rename_axis("term")
            .reset_index()
            .assign(model=m.model, optimizer=m.optimizer, singular=m.singular)
            for m in models
        ],
        ignore_index=True,
    )
    mixed.to_csv(folder / "mixed_model.csv", index=False)
    if result.cafs is not None:
        result.cafs.scores.to_csv(folder / "cafs.csv", index=False)
    (folder / "analysis.json").write_text(result_json(result) + "\n", encoding="utf-8")
    visits, _ = windowed_visits(data, result.settings)
    for name, fig in (
        ("trajectories", trajectories_figure(visits)),
        ("paired_slopes", paired_slopes_figure(result.slopes.table)),
    ):
        try:
            fig.savefig(folder / f"{name}.png", dpi=200)
            fig.savefig(folder / f"{name}.pdf")
        finally:
            plt.close(fig)

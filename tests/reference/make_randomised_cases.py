"""Write the randomised-trial reference cases (tests/reference/randomised/CASE/*.csv).

Run once: ``.venv/bin/python tests/reference/make_randomised_cases.py``; then
``Rscript tests/reference/randomised_r.R`` computes the reference values from these files.
Cases: ``balanced`` (no missing visit), ``dropout`` (dropout, intermittent gaps, labels whose
alphabetical order is not their time order, strata, events and censoring with tied times),
``small`` (30 subjects, some with only a baseline, heavy ties).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent / "randomised"


def make_case(
    seed: int,
    n: int,
    labels: list[str],
    months: list[float],
    dropout: float,
    gaps: float,
    events: float,
    round_to: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    subjects, visits = [], []
    v = len(months)
    correlation = 0.6 ** np.abs(np.subtract.outer(np.arange(v), np.arange(v)))
    sd = np.linspace(2.0, 4.0, v)
    for i in range(n):
        arm = "treated" if i % 2 == 0 else "control"
        index_day = int(rng.integers(0, 30))
        base = int(rng.integers(28, 46))
        slope = -1.0 + (0.3 if arm == "treated" else 0.0) + 0.02 * (base - 37)
        noise = rng.multivariate_normal(np.zeros(v), correlation * np.outer(sd, sd))
        stop = v if rng.random() > dropout else int(rng.integers(0, v))
        days = [index_day + round(m * 30.4375) + int(rng.integers(-6, 7)) for m in months]
        event_day = None
        if rng.random() < events:
            event_day = index_day + int(round_to * np.ceil(rng.integers(20, 220) / round_to))
        sid = f"S{i:03d}"
        visits.append((sid, index_day - int(rng.integers(0, 3)), base, "BL"))
        last_visit = visits[-1][1]
        for j in range(stop):
            if event_day is not None and days[j] >= event_day:
                break
            if j < v - 1 and rng.random() < gaps:
                continue
            total = int(np.clip(round(base + slope * months[j] + noise[j]), 0, 48))
            visits.append((sid, days[j], total, labels[j]))
            last_visit = days[j]
        kind = rng.choice(["death_day", "tracheostomy_day", "permanent_ventilation_day"])
        row = {
            "subject_id": sid,
            "arm": arm,
            "age_years": int(rng.integers(40, 75)),
            "sex": rng.choice(["male", "female"]),
            "onset_site": rng.choice(["bulbar", "spinal"]),
            "onset_day": index_day - int(rng.integers(200, 700)),
            "index_day": index_day,
            "death_day": None,
            "tracheostomy_day": None,
            "permanent_ventilation_day": None,
            "stratum": "bulbar" if i % 3 == 0 else "spinal",
            "last_contact_day": None,
        }
        if event_day is not None:
            row[kind] = event_day
            if kind != "death_day":
                row["last_contact_day"] = event_day + int(rng.integers(0, 40))
        elif rng.random() < 0.5:
            row["last_contact_day"] = last_visit + int(round_to * rng.integers(0, 4))
        subjects.append(row)
    s = pd.DataFrame(subjects)
    for column in (
        "death_day",
        "tracheostomy_day",
        "permanent_ventilation_day",
        "last_contact_day",
    ):
        s[column] = s[column].astype("Int64")
    return s, pd.DataFrame(visits, columns=["subject_id", "day", "alsfrs_r_total", "visit"])


CASES = {
    "balanced": dict(
        seed=1,
        n=60,
        labels=["M1", "M2", "M3", "M6"],
        months=[1, 2, 3, 6],
        dropout=0.0,
        gaps=0.0,
        events=0.15,
        round_to=1,
    ),
    "dropout": dict(
        seed=2,
        n=80,
        labels=["M2", "M4", "M6", "M10", "M12"],
        months=[2, 4, 6, 10, 12],
        dropout=0.35,
        gaps=0.1,
        events=0.3,
        round_to=30,
    ),
    "small": dict(
        seed=3,
        n=30,
        labels=["M3", "M6", "M9"],
        months=[3, 6, 9],
        dropout=0.5,
        gaps=0.1,
        events=0.4,
        round_to=60,
    ),
}

if __name__ == "__main__":
    for name, settings in CASES.items():
        folder = HERE / name
        folder.mkdir(parents=True, exist_ok=True)
        subjects, visits = make_case(**settings)
        if name == "balanced":
            subjects = subjects.drop(columns=["stratum"])
        subjects.to_csv(folder / "subjects.csv", index=False)
        visits.to_csv(folder / "visits.csv", index=False)

"""Population doublings and days in culture, checked against hand-worked examples."""

from datetime import date

import pytest

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.product_culture import Passage, population_doublings, summarise_culture


def test_population_doublings_by_hand():
    # 1e6 cells grew to 8e6: 1 -> 2 -> 4 -> 8 is three doublings.
    assert population_doublings(1e6, 8e6) == pytest.approx(3.0)
    # 3e5 -> 4.2e6 is a 14-fold expansion: log2(14) = 3.807354922...
    assert population_doublings(3e5, 4.2e6) == pytest.approx(3.807354922057604)
    # A culture that lost half its cells has -1 doubling, reported as it is.
    assert population_doublings(2e6, 1e6) == pytest.approx(-1.0)


def test_summary_cumulates_passages_and_counts_days():
    passages = [
        Passage(1, date(2024, 1, 1), date(2024, 1, 10), 1e6, 8e6),  # PD 3, 9 days
        Passage(2, date(2024, 1, 10), date(2024, 1, 17), 1e6, 4e6),  # PD 2, 7 days
    ]
    summary = summarise_culture(date(2023, 12, 30), list(reversed(passages)))
    assert [p.number for p in summary.passages] == [1, 2]
    assert [p.population_doublings for p in summary.passages] == pytest.approx([3.0, 2.0])
    assert [p.cumulative_population_doublings for p in summary.passages] == pytest.approx(
        [3.0, 5.0]
    )
    assert [p.days for p in summary.passages] == [9, 7]
    # 30 Dec 2023 to 17 Jan 2024 = 2 + 16 = 18 days
    assert summary.days_in_culture == 18
    assert summary.final_cell_count == 4e6
    assert summary.to_dict()["cumulative_population_doublings"] == pytest.approx(5.0)


def test_no_passages_yet():
    summary = summarise_culture(date(2024, 1, 1), [])
    assert summary.passages == ()
    assert summary.cumulative_population_doublings == 0
    assert summary.days_in_culture == 0
    assert summary.final_cell_count is None


@pytest.mark.parametrize(
    ("seeded", "harvested", "field"),
    [(0, 1e6, "cells_seeded"), (1e6, -5, "cells_harvested"), (1e6, "many", "cells_harvested")],
)
def test_counts_must_be_positive(seeded, harvested, field):
    with pytest.raises(FieldError) as info:
        population_doublings(seeded, harvested)
    assert info.value.field == field


def test_bad_passages_name_each_field():
    passages = [
        Passage(1, date(2024, 1, 1), date(2024, 1, 10), 1e6, 8e6),
        # wrong number, seeded before the previous harvest, harvested before seeded, no cells
        Passage(3, date(2024, 1, 5), date(2024, 1, 4), 0, 8e6),
    ]
    with pytest.raises(ValidationError) as info:
        summarise_culture(date(2024, 1, 1), passages)
    fields = info.value.by_field()
    assert set(fields) == {"number", "seeded_on", "harvested_on", "cells_seeded"}
    assert "must be 2" in fields["number"][0]


def test_passage_before_culture_start_is_refused():
    with pytest.raises(ValidationError) as info:
        summarise_culture(date(2024, 2, 1), [Passage(1, date(2024, 1, 1), date(2024, 1, 9), 1, 2)])
    assert "before the culture started" in info.value.by_field()["seeded_on"][0]


def test_missing_values_are_named_not_crashed_on():
    with pytest.raises(ValidationError) as info:
        summarise_culture(date(2024, 1, 1), [Passage(1, None, None, 1e6, None)])
    assert set(info.value.by_field()) == {"seeded_on", "harvested_on", "cells_harvested"}

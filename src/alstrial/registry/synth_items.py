"""Item-level ALSFRS-R scores that sum exactly to a given total, by site of onset.

Model (alstrial's own, for synthetic data; it follows the clinical picture of
docs/domain.md, 'ALSFRS-R' and 'Natural history' rather than a fitted model): every patient has 48
"loss thresholds", one per point of each of the 12 items (4 per item). At a visit with total T, the
48 - T thresholds with the smallest values are lost. So the items are integers 0-4, sum exactly to
T, and never improve while the total does not improve (roughly monotone: visit noise in T moves them
a little). A threshold's value is its region's onset order plus 5 points per level plus noise:

* limb onset: the first limb (upper or lower, 50/50) from 0, the other limb from 6, bulbar
  from 14, respiratory from 18;
* bulbar onset: bulbar from 0, upper limb from 8, lower limb from 10, respiratory from 14;
* respiratory insufficiency (item 12, non-invasive ventilation when < 4) starts 8 points later
  still, so NIV appears late; a gastrostomy is placed when swallowing first reaches 1 ("needs
  supplemental tube feeding") and stays, so item 5b replaces 5a late in the disease.
"""

from __future__ import annotations

import numpy as np

from alstrial.domain.alsfrs_items import SCORED_ORDER_WITHOUT_GASTROSTOMY

#: Item keys in questionnaire order (docs/domain.md, 'ALSFRS-R'), item 5 as one "cutting" item (5a
#: or 5b is chosen later from the gastrostomy status).
ITEM_ORDER = tuple(
    "cutting" if key == "cutting_without_gastrostomy" else key
    for key in SCORED_ORDER_WITHOUT_GASTROSTOMY
)
BULBAR, UPPER, LOWER, RESPIRATORY = 0, 1, 2, 3
ITEM_REGION = np.array([BULBAR] * 3 + [UPPER] * 3 + [LOWER] * 3 + [RESPIRATORY] * 3)
SWALLOWING = ITEM_ORDER.index("swallowing")
CUTTING = ITEM_ORDER.index("cutting")
LEVEL_SPACING = 5.0  # loss points between an item's successive levels


def loss_thresholds(bulbar_onset: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 12, 4) threshold values; smaller = lost earlier."""
    n = len(bulbar_onset)
    upper_first = rng.random(n) < 0.5
    region_start = np.empty((n, 4))
    region_start[:, BULBAR] = 14.0
    region_start[:, UPPER] = np.where(upper_first, 0.0, 6.0)
    region_start[:, LOWER] = np.where(upper_first, 6.0, 0.0)
    region_start[:, RESPIRATORY] = 18.0
    region_start[bulbar_onset] = (0.0, 8.0, 10.0, 14.0)
    start = region_start[:, ITEM_REGION] + rng.normal(0.0, 3.0, (n, 12))
    start[:, ITEM_ORDER.index("respiratory_insufficiency")] += 8.0
    levels = np.arange(4) * LEVEL_SPACING
    return start[:, :, None] + levels + rng.normal(0.0, 1.5, (n, 12, 4))


def items_for_totals(thresholds: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """(n, v, 12) integer items summing to ``totals`` (n, v); NaN totals give -1 items."""
    n = thresholds.shape[0]
    flat = thresholds.reshape(n, 48)
    # rank[i, j] = position of threshold j in patient i's loss order (0 = lost first).
    rank = np.empty((n, 48), dtype=np.int16)
    rank[np.arange(n)[:, None], np.argsort(flat, axis=1)] = np.arange(48, dtype=np.int16)
    observed = ~np.isnan(totals)
    loss = np.where(observed, 48 - np.nan_to_num(totals), 0).astype(np.int16)
    lost = rank.reshape(n, 1, 12, 4) < loss[:, :, None, None]
    items = (4 - lost.sum(axis=3)).astype(np.int8)
    return np.where(observed[:, :, None], items, np.int8(-1))


def gastrostomy_status(items: np.ndarray) -> np.ndarray:
    """(n, v) bool: swallowing has reached 1 at this or an earlier visit (it then stays)."""
    reached = (items[:, :, SWALLOWING] >= 0) & (items[:, :, SWALLOWING] <= 1)
    return np.maximum.accumulate(reached, axis=1)

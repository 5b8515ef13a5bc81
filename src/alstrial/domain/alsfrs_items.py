"""The ALSFRS-R and original ALSFRS items, their domains and anchor descriptions.

Source: Cedarbaum JM et al. The ALSFRS-R: a revised ALS functional rating scale that incorporates
assessments of respiratory function. J Neurol Sci 1999;169:13-21. Item keys and domains follow
docs/domain.md, 'ALSFRS-R'. This module is data only; the rules live in ``alsfrs.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Domain(StrEnum):
    """The four ALSFRS-R subscore domains (0-12 points each)."""

    BULBAR = "bulbar"
    FINE_MOTOR = "fine_motor"
    GROSS_MOTOR = "gross_motor"
    RESPIRATORY = "respiratory"


@dataclass(frozen=True)
class Item:
    """One questionnaire item; ``anchors[score]`` describes score 0 (no function) to 4 (normal)."""

    number: str
    key: str
    name: str
    domain: Domain
    anchors: tuple[str, str, str, str, str]


ITEMS: tuple[Item, ...] = (
    Item(
        "1",
        "speech",
        "Speech",
        Domain.BULBAR,
        (
            "Loss of useful speech",
            "Speech combined with nonvocal communication",
            "Intelligible with repeating",
            "Detectable speech disturbance",
            "Normal speech processes",
        ),
    ),
    Item(
        "2",
        "salivation",
        "Salivation",
        Domain.BULBAR,
        (
            "Marked drooling; requires constant tissue or handkerchief",
            "Marked excess of saliva with some drooling",
            "Moderately excessive saliva; may have minimal drooling",
            "Slight but definite excess of saliva in mouth; may have nighttime drooling",
            "Normal",
        ),
    ),
    Item(
        "3",
        "swallowing",
        "Swallowing",
        Domain.BULBAR,
        (
            "NPO (exclusively parenteral or enteral feeding)",
            "Needs supplemental tube feeding",
            "Dietary consistency changes",
            "Early eating problems; occasional choking",
            "Normal eating habits",
        ),
    ),
    Item(
        "4",
        "handwriting",
        "Handwriting",
        Domain.FINE_MOTOR,
        (
            "Unable to grip pen",
            "Able to grip pen but unable to write",
            "Not all words are legible",
            "Slow or sloppy; all words are legible",
            "Normal",
        ),
    ),
    Item(
        "5a",
        "cutting_without_gastrostomy",
        "Cutting food and handling utensils",
        Domain.FINE_MOTOR,
        (
            "Needs to be fed",
            "Food must be cut by someone, but can still feed slowly",
            "Can cut most foods, although clumsy and slow; some help needed",
            "Somewhat slow and clumsy, but no help needed",
            "Normal",
        ),
    ),
    Item(
        "5b",
        "cutting_with_gastrostomy",
        "Cutting food and handling utensils (gastrostomy)",
        Domain.FINE_MOTOR,
        (
            "Unable to perform any aspect of task",
            "Provides minimal assistance to caregiver",
            "Some help needed with closures and fasteners",
            "Clumsy but able to perform all manipulations independently",
            "Normal",
        ),
    ),
    Item(
        "6",
        "dressing_hygiene",
        "Dressing and hygiene",
        Domain.FINE_MOTOR,
        (
            "Total dependence",
            "Needs attendant for self-care",
            "Intermittent assistance or substitute methods",
            "Independent and complete self-care with effort or decreased efficiency",
            "Normal function",
        ),
    ),
    Item(
        "7",
        "turning_in_bed",
        "Turning in bed, adjusting bed clothes",
        Domain.GROSS_MOTOR,
        (
            "Helpless",
            "Can initiate, but not turn or adjust sheets alone",
            "Can turn alone or adjust sheets, but with great difficulty",
            "Somewhat slow and clumsy, but no help needed",
            "Normal",
        ),
    ),
    Item(
        "8",
        "walking",
        "Walking",
        Domain.GROSS_MOTOR,
        (
            "No purposeful leg movement",
            "Nonambulatory functional movement only",
            "Walks with assistance",
            "Early ambulation difficulties",
            "Normal",
        ),
    ),
    Item(
        "9",
        "climbing_stairs",
        "Climbing stairs",
        Domain.GROSS_MOTOR,
        ("Cannot do", "Needs assistance", "Mild unsteadiness or fatigue", "Slow", "Normal"),
    ),
    Item(
        "10",
        "dyspnea",
        "Dyspnea",
        Domain.RESPIRATORY,
        (
            "Significant difficulty, considering using mechanical respiratory support",
            "Occurs at rest, difficulty breathing when either sitting or lying",
            "Occurs with one or more of: eating, bathing, dressing",
            "Occurs when walking",
            "None",
        ),
    ),
    Item(
        "11",
        "orthopnea",
        "Orthopnea",
        Domain.RESPIRATORY,
        (
            "Unable to sleep",
            "Can only sleep sitting up",
            "Needs extra pillows in order to sleep (more than two)",
            "Some difficulty sleeping at night due to shortness of breath; "
            "does not routinely use more than two pillows",
            "None",
        ),
    ),
    Item(
        "12",
        "respiratory_insufficiency",
        "Respiratory insufficiency",
        Domain.RESPIRATORY,
        (
            "Invasive mechanical ventilation by intubation or tracheostomy",
            "Continuous use of BiPAP during the night and day",
            "Continuous use of BiPAP during the night",
            "Intermittent use of BiPAP",
            "None",
        ),
    ),
)

#: The original ALSFRS (10 items, 0-40) shares items 1-9 and has this single respiratory item.
ORIGINAL_RESPIRATORY = Item(
    "10",
    "respiratory",
    "Respiratory (original ALSFRS)",
    Domain.RESPIRATORY,
    (
        "Ventilator dependent",
        "Intermittent ventilatory assistance (e.g. nocturnal)",
        "Shortness of breath at rest",
        "Shortness of breath with minimal exertion (e.g. walking, talking)",
        "Normal",
    ),
)

ITEM_BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}
#: Item keys in questionnaire order (13 keys: both 5a and 5b are listed).
ITEM_KEYS: tuple[str, ...] = tuple(item.key for item in ITEMS)
#: Item keys of a row that may hold either scale (registry data): the revised items, then the
#: original ALSFRS's respiratory item (docs/domain.md, 'PRO-ACT registry format').
ALL_SCALES_ITEM_KEYS: tuple[str, ...] = (*ITEM_KEYS, ORIGINAL_RESPIRATORY.key)
CUTTING_KEYS = ("cutting_without_gastrostomy", "cutting_with_gastrostomy")
#: The twelve items scored at one visit, in the order 1..12 with item 5 left to the caller.
SCORED_ORDER_WITHOUT_GASTROSTOMY = tuple(k for k in ITEM_KEYS if k != "cutting_with_gastrostomy")
SCORED_ORDER_WITH_GASTROSTOMY = tuple(k for k in ITEM_KEYS if k != "cutting_without_gastrostomy")

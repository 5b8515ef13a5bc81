"""SAS transport (XPT version 5) files through pyreadstat: the FDA's submission format.

Version 5 limits: dataset and variable names <= 8 characters, labels <= 40, character values
<= 200 bytes; each file holds one dataset named after the domain, with its label. The limits
are checked before writing (a clear error naming the dataset and variable), not left to the
writer to truncate silently.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from alstrial.exchange.sdtm_spec import DATASETS, variables

MAX_NAME, MAX_LABEL, MAX_CHAR_BYTES = 8, 40, 200


class XptLimitError(ValueError):
    """A dataset breaks an XPT version 5 limit (named: dataset, variable, what)."""


def check_xpt_limits(domain: str, frame: pd.DataFrame) -> None:
    label = DATASETS[domain][0]
    if len(domain) > MAX_NAME or len(label) > MAX_LABEL:
        raise XptLimitError(f"{domain}: dataset name or label too long for XPT v5")
    for variable in variables(domain):
        if len(variable.name) > MAX_NAME:
            raise XptLimitError(f"{domain}.{variable.name}: name longer than {MAX_NAME}")
        if len(variable.label) > MAX_LABEL:
            raise XptLimitError(f"{domain}.{variable.name}: label longer than {MAX_LABEL}")
        if variable.type == "Char":
            lengths = frame[variable.name].map(lambda v: len(str(v).encode("utf-8")))
            over = frame.index[lengths > MAX_CHAR_BYTES]
            if len(over):
                subject = frame.at[over[0], "USUBJID"]
                raise XptLimitError(
                    f"{domain}.{variable.name}: subject {subject}: a value of "
                    f"{lengths[over[0]]} bytes exceeds {MAX_CHAR_BYTES}"
                )


def write_xpt(domain: str, frame: pd.DataFrame, path: str | Path) -> Path:
    """Write one SDTM dataset as ``path`` (lower-case domain name by convention)."""
    check_xpt_limits(domain, frame)
    labels = {v.name: v.label for v in variables(domain)}
    out = Path(path)
    try:
        pyreadstat.write_xport(
            frame,
            str(out),
            file_label=DATASETS[domain][0],
            column_labels=[labels[c] for c in frame.columns],
            table_name=domain,
            file_format_version=5,
        )
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as error:
        # A limit the checks above do not know: still named, never a traceback.
        raise XptLimitError(f"{domain}: the XPT writer refused the dataset: {error}") from None
    return out

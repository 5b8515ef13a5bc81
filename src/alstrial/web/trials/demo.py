"""Demo hook: the two shipped protocols, kim2009 at Seoul and mazzini2003 at Novara."""

from __future__ import annotations

from alstrial.web.trials.services import create_bundled_trial

DEMO_TRIALS = (("kim2009", "seoul"), ("mazzini2003", "novara"))


def load_demo(ctx) -> None:
    for slug, site_code in DEMO_TRIALS:
        ctx.trials[slug] = create_bundled_trial(slug, [ctx.sites[site_code]])

"""Downloads of a trial's exports, for the sites where the user holds the right role.

- ``csv`` (zip: tidy CSV per form, subjects.csv, visits.csv) and ``dictionary``: the analysis
  roles (statistician, investigator, admin); de-identified: codes and study days.
- ``sdtm`` (zip: CSV, XPT, Dataset-JSON, define.xml) and ``odm``: investigator and admin only;
  calendar dates (SDTM) and the audit trail (ODM) are not for the de-identified view.
- ``randomisation`` (CSV): the randomisation list of a randomised trial, for the unblinded DSMB
  statistician only (404 for a trial without randomisation).

Exports of a randomised trial are blinded (no arm, no dose that differs between arms) unless
the user holds an unblinded role at every exported site (docs/exchange.md, "Arms").

A trial the user cannot see answers 404; a kind the user may not download answers 403; data
that cannot make a conformant export answers 422 with the problem (dataset, variable, subject)
in plain text, never a half-built file. CSV cells are safe for spreadsheets.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse

from alstrial.exchange.dictionary import dictionary_frame
from alstrial.exchange.odm import OdmContentError, build_odm
from alstrial.exchange.sdtm_write import SdtmConformanceError, write_sdtm
from alstrial.exchange.spreadsheet import write_csv
from alstrial.web.core.access import (
    can_see_arm,
    get_for_user_or_404,
    is_blinded_trial,
    site_ids_for,
)
from alstrial.web.core.models import ANALYSIS_ROLES, Role
from alstrial.web.exchange.extract import trial_data
from alstrial.web.exchange.forms import form_specs
from alstrial.web.exchange.randomisation_list import randomisation_list
from alstrial.web.exchange.statistician import write_statistician_csv
from alstrial.web.trials.models import Trial

#: Roles that may download identified-date exports (SDTM dates, the ODM audit trail).
FULL_ROLES = (Role.INVESTIGATOR, Role.ADMIN)
KINDS = {
    "csv": ("Statisticians' CSV (zip)", ANALYSIS_ROLES),
    "dictionary": ("Data dictionary (CSV)", ANALYSIS_ROLES),
    "sdtm": ("SDTM: CSV, XPT, Dataset-JSON, define.xml (zip)", FULL_ROLES),
    "odm": ("CDISC ODM 1.3.2 with audit trail (XML)", FULL_ROLES),
    "randomisation": ("Randomisation list (CSV, unblinded)", (Role.DSMB_STATISTICIAN,)),
}
#: Kinds that exist only for a randomised trial.
RANDOMISED_ONLY = ("randomisation",)


def _unblinded(user, site_ids) -> bool:
    """True when ``user`` may see the arm at every one of ``site_ids``."""
    return all(can_see_arm(user, site_id) for site_id in site_ids)


def _sites(user, trial, roles) -> list[int]:
    trial_sites = set(trial.sites.values_list("pk", flat=True))
    return sorted(set(site_ids_for(user, *roles)) & trial_sites)


def dashboard_panel_context(request, trial) -> dict:
    """The links this user may follow (empty when none)."""
    links = [
        {"label": label, "url": reverse("exchange:download", args=[trial.slug, kind])}
        for kind, (label, roles) in KINDS.items()
        if _sites(request.user, trial, roles)
        and (kind not in RANDOMISED_ONLY or is_blinded_trial(trial))
    ]
    return {"links": links}


def _zip(folder: Path, name: str) -> HttpResponse:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, arcname=path.name)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _unprocessable(kind: str, error: Exception) -> HttpResponse:
    """422 with the problem (dataset or form, variable, subject) in plain text."""
    return HttpResponse(
        f"The {kind} export cannot be built: {error}",
        status=422,
        content_type="text/plain; charset=utf-8",
    )


@login_required
def download(request, slug: str, kind: str):
    if kind not in KINDS:
        raise Http404("No such export")
    trial = get_for_user_or_404(Trial.objects.distinct(), request.user, slug=slug)
    if kind in RANDOMISED_ONLY and not is_blinded_trial(trial):
        raise Http404("This trial has no randomisation")
    sites = _sites(request.user, trial, KINDS[kind][1])
    if not sites:
        raise PermissionDenied("This export needs another role at this trial's sites.")
    if kind == "dictionary":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slug}-dictionary.csv"'
        write_csv(dictionary_frame(form_specs(trial.protocol), trial.protocol), response)
        return response
    if kind == "randomisation":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slug}-randomisation.csv"'
        write_csv(randomisation_list(trial, sites), response)
        return response
    unblinded = _unblinded(request.user, sites)
    if kind == "odm":
        data = trial_data(trial, site_ids=sites, audit=True, unblinded=unblinded)
        try:
            document = build_odm(data, form_specs(trial.protocol))
        except OdmContentError as error:
            return _unprocessable("ODM", error)
        response = HttpResponse(document, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{slug}-odm.xml"'
        return response
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / kind
        if kind == "sdtm":
            try:
                write_sdtm(trial_data(trial, site_ids=sites, unblinded=unblinded), out, xpt=True)
            except SdtmConformanceError as error:
                return _unprocessable("SDTM", error)
        else:
            write_statistician_csv(trial, out, site_ids=sites)
        return _zip(out, f"{slug}-{kind}.zip")

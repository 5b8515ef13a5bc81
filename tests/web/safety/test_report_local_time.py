"""The trial report shows an SAE's awareness time in its own site's local time (stored in UTC)."""

from __future__ import annotations

from datetime import UTC

from alstrial.analysis.report.tables import frame_table
from alstrial.web.safety import services
from alstrial.web.safety.board import ae_frame, trial_report_tables
from alstrial.web.safety.models import AdverseEvent


def test_sae_listing_shows_the_seoul_awareness_time_in_seoul_time(
    site_zones, enrolled_subject, users, sae_data
):
    subject = enrolled_subject("seoul")
    data = sae_data(subject)  # aware at 09:30 Seoul time
    services.record_adverse_event(subject, data, users["coordinator.seoul"])
    stored = AdverseEvent.objects.get().awareness_at.astimezone(UTC)
    assert stored.strftime("%H:%M") == "00:30"  # 09:30 KST is 00:30 UTC
    assert ae_frame(AdverseEvent.objects.all())["time_zone"].tolist() == ["Asia/Seoul"]
    cells = [
        cell
        for title, frame in trial_report_tables(subject.trial).items()
        if "awareness_at" in frame.columns
        for row in frame_table(title, frame).rows
        for cell in row
    ]
    local = data["awareness_at"].replace("T", " ")
    assert f"{local} KST" in cells
    assert not any("00:30" in cell for cell in cells)

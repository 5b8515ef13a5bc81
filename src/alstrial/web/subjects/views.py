"""Subject pages."""

from __future__ import annotations

from django.shortcuts import render

from alstrial.web.core.access import role_required
from alstrial.web.subjects.models import Subject


@role_required()
def subject_list(request):
    subjects = Subject.objects.visible_to(request.user).select_related("site", "trial")
    return render(request, "subjects/list.html", {"subjects": subjects})

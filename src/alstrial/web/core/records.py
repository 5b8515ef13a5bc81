"""The clinical-record base model and the one door through which clinical data is written.

21 CFR Part 11 style (docs/web.md): every create, update and delete of clinical data
records who, when (UTC), the old and new values and a reason; a reason is required for every
change after the first save; an edit based on a stale copy is refused (optimistic locking on
``version``), never silently overwritten.

Usage (docs/web.md "Clinical records")::

    class FvcAssessment(ClinicalRecord):
        site_lookup = "subject__site"
        ...

    save_clinical(assessment, request.user, reason, expected_version=form_version)
    delete_clinical(assessment, request.user, reason, expected_version=form_version)
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from alstrial.domain.errors import FieldError, MisuseError, ValidationError
from alstrial.domain.text_limits import check_reason
from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.core.stored_fields import check_stored_fields
from alstrial.web.core.write_guards import check_writable

#: Change reason recorded for the first save when the user gives none.
INITIAL_ENTRY_REASON = "initial entry"


class ConflictError(Exception):
    """The record changed since the user loaded it (their version is stale). The API answers 409.

    ``expected`` is the version the user edited, ``current`` the version now stored.
    """

    def __init__(
        self, obj: models.Model, expected: int, current: int | None, detail: str | None = None
    ):
        self.obj = obj
        self.expected = expected
        self.current = current
        if detail is not None:
            super().__init__(
                f"This {obj._meta.verbose_name} was not saved: {detail}. "
                "Reload the page to see the current values, then enter your change again."
            )
            return
        who = ""
        last = obj.history.order_by("-history_date", "-history_id").first() if obj.pk else None
        if current is None:
            detail = "it has been deleted"
        else:
            if last is not None:
                stamp = last.history_date.strftime("%Y-%m-%d %H:%M UTC")
                who = f" by {last.history_user or 'an unknown user'} at {stamp}"
            detail = f"it was changed{who} (now version {current}, you edited version {expected})"
        super().__init__(
            f"This {obj._meta.verbose_name} was not saved: {detail}. "
            "Reload the page to see the current values, then enter your change again."
        )


class ClinicalQuerySet(SiteScopedQuerySet):
    """Site-scoped, and without the bulk writes that would skip the audit trail: ``update``,
    ``delete``, ``bulk_create`` and ``bulk_update`` raise. Change records one by one through
    :func:`save_clinical` / :func:`delete_clinical`."""

    def _refuse(self, what: str):
        raise MisuseError(
            f"{what} on {self.model.__name__} would bypass the audit trail; "
            "use save_clinical / delete_clinical on each record"
        )

    def update(self, **kwargs):
        self._refuse("update()")

    def delete(self):
        self._refuse("delete()")

    def bulk_create(self, *args, **kwargs):
        self._refuse("bulk_create()")

    def bulk_update(self, *args, **kwargs):
        self._refuse("bulk_update()")


class ClinicalRecord(models.Model):
    """Abstract base of every clinical table: version, who/when created and updated, history.

    Subclasses set ``site_lookup`` (ORM path to their Site, for site isolation) and, when they
    belong to a subject, keep a direct ``subject`` foreign key so the per-subject audit trail
    finds their history even after the row is deleted. Override :meth:`clean_clinical` to run
    the domain validators; it is called before anything is written.
    Write only through :func:`save_clinical` / :func:`delete_clinical`.
    """

    site_lookup = "site"

    version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Incremented by every save (optimistic locking)."
    )
    created_at = models.DateTimeField(editable=False, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    updated_at = models.DateTimeField(editable=False, null=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    history = HistoricalRecords(inherit=True)

    objects = ClinicalQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not getattr(self, "_through_service", False):
            raise MisuseError(
                f"{type(self).__name__} is clinical data: save it with save_clinical(obj, user, "
                "reason) so that the change is audited and version-checked"
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not getattr(self, "_through_service", False):
            raise MisuseError(
                f"{type(self).__name__} is clinical data: delete it with delete_clinical(obj, "
                "user, reason)"
            )
        return super().delete(*args, **kwargs)

    def clean_clinical(self) -> None:
        """Raise :class:`alstrial.domain.errors.ValidationError` when the record is invalid."""


def _require_reason(reason: str, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError(
            [FieldError("reason", f"a reason is required to {what} a saved record")]
        )
    return text


def _claim_version(obj: ClinicalRecord, expected: int) -> None:
    """Advance the stored version from ``expected``; ConflictError when it is no longer there.

    A single conditional UPDATE is atomic on SQLite and PostgreSQL alike, so of two users who
    loaded the same version exactly one succeeds.
    """
    manager = type(obj)._base_manager
    if manager.filter(pk=obj.pk, version=expected).update(version=expected + 1) != 1:
        current = manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise ConflictError(obj, expected, current)


def save_clinical(obj: ClinicalRecord, user, reason: str = "", *, expected_version=None):
    """Validate, version-check and save ``obj``, recording ``user`` and ``reason`` in its history.

    - first save: ``reason`` is optional (recorded as "initial entry"); version becomes 1;
    - later saves: ``reason`` is required (ValidationError on field ``reason``) and
      ``expected_version`` (the version the user's form was loaded with; default ``obj.version``)
      must still be the stored one, else :class:`ConflictError` and nothing is written.
    Domain validation (:meth:`ClinicalRecord.clean_clinical`) runs before any write.
    Returns ``obj``.
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied("clinical data is saved by an identified, logged-in user")
    creating = obj._state.adding
    if creating:
        reason = (reason or "").strip() or INITIAL_ENTRY_REASON
    else:
        reason = _require_reason(reason, "change")
    check_reason(reason)
    check_writable(obj)  # a locked trial or subject refuses every write (WritesLocked)
    check_stored_fields(obj)
    obj.clean_clinical()
    now = timezone.now()
    with transaction.atomic():
        if creating:
            obj.version = 1
            obj.created_at, obj.created_by = now, user
        else:
            expected = obj.version if expected_version is None else int(expected_version)
            _claim_version(obj, expected)
            obj.version = expected + 1
        obj.updated_at, obj.updated_by = now, user
        obj._history_user = user
        obj._change_reason = reason
        obj._through_service = True
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as error:
            if not creating:
                raise
            # Two users entered the same record at once (e.g. one form per visit): the
            # database's unique rule let the first in; the second is a conflict, not a crash.
            obj.pk = None
            raise ConflictError(
                obj, 0, None, detail=f"another entry was saved first ({error.__cause__ or error})"
            ) from error
        finally:
            obj._through_service = False
    return obj


def delete_clinical(obj: ClinicalRecord, user, reason: str, *, expected_version=None) -> None:
    """Delete ``obj`` with a required reason; its history keeps every version and the deletion."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("clinical data is deleted by an identified, logged-in user")
    reason = _require_reason(reason, "delete")
    check_reason(reason)
    check_writable(obj)
    expected = obj.version if expected_version is None else int(expected_version)
    with transaction.atomic():
        _claim_version(obj, expected)
        obj.version = expected + 1
        obj._history_user = user
        obj._change_reason = reason
        obj._through_service = True
        try:
            obj.delete()
        finally:
            obj._through_service = False

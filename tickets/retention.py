"""How long a case is kept, and deleting cases with every file they have.

Cases without an account are deleted CASE_RETENTION_DAYS after their last activity (any
save, a status change, coming back to the status page). Cases of a signed-in account stay
until the user deletes them.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from tickets.models import Case, now


def retention() -> timedelta:
    return timedelta(days=settings.CASE_RETENTION_DAYS)


def expires_on(case: Case) -> date | None:
    """The day an anonymous case will be purged if nobody touches it; None if it is kept."""
    if case.owner_id is not None:
        return None
    return timezone.localdate(case.updated + retention())


def expired_cases() -> QuerySet[Case]:
    return Case.objects.filter(owner=None, updated__lt=now() - retention())


def delete_cases(cases: QuerySet[Case]) -> int:
    """Delete the cases; their screenshots', clips' and analyses' files go with the rows
    (post_delete receivers). How many cases were deleted."""
    deleted = cases.model.objects.filter(pk__in=list(cases.values_list("pk", flat=True)))
    _, per_model = deleted.delete()
    return per_model.get(Case._meta.label, 0)

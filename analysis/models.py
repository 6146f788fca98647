"""A clip analysis: one run of the drift measurement over a case's clip, and its frames."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse

from tickets.models import Case


def analysis_path(instance: models.Model, filename: str) -> str:
    # Random names, as for evidence: a storage listing reveals nothing about the case.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"analysis/{uuid.uuid4().hex}.{suffix[:8]}"


class Analysis(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Analysing"
        DONE = "done", "Finished"
        FAILED = "failed", "Could not analyse"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    case = models.ForeignKey(Case, models.CASCADE, related_name="analyses")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # per cent of the clip read
    cancel_requested = models.BooleanField(default=False)
    # A clip uploaded only to be analysed; removed once the analysis ends. Empty when
    # the analysis reads the clip the user chose to keep with the case.
    upload = models.FileField(upload_to=analysis_path, blank=True)
    original_filename = models.CharField(max_length=200)
    message = models.TextField(blank=True)  # why it failed, in words for the user
    result = models.JSONField(default=dict, blank=True)
    onset_s = models.FloatField(null=True, blank=True)
    worst_s = models.FloatField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    summary = models.TextField(blank=True)
    accepted = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"Analysis of {self.original_filename} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("analysis:status", args=[self.case.token, self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def found_drift(self) -> bool:
        return self.status == self.Status.DONE and self.onset_s is not None


class AnalysisFrame(models.Model):
    """A frame of the clip at a moment worth a screenshot (start, onset, worst, end)."""

    analysis = models.ForeignKey(Analysis, models.CASCADE, related_name="frames")
    role = models.CharField(max_length=20)  # a tickets.models.Screenshot.Role value
    time_s = models.FloatField()
    image = models.FileField(upload_to=analysis_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Each face's landmarks in this frame, as [x, y] fractions of the frame, to draw on request.
    landmarks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["time_s"]

    def __str__(self) -> str:
        return f"{self.role} at {self.time_s:.2f} s"


@receiver(post_delete, sender=Analysis)
@receiver(post_delete, sender=AnalysisFrame)
def delete_stored_file(sender, instance, **kwargs) -> None:
    # Also runs for cascades (a deleted case), so no clip or frame outlives its row.
    field = instance.upload if sender is Analysis else instance.image
    if field:
        field.delete(save=False)

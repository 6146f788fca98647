"""Background tasks of clip analysis (Django's tasks framework; see TASKS in settings)."""

from __future__ import annotations

from django.tasks import task

from analysis.workflow import run_analysis


@task
def analyse_clip(analysis_id: int) -> None:
    """Run one queued analysis; the outcome is stored on the Analysis row, never raised."""
    run_analysis(analysis_id)

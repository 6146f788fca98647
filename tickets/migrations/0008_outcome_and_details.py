from django.db import migrations, models

OLD_TO_NEW = {"error": "error", "defective": "defect"}


def to_outcome(apps, schema_editor):
    Case = apps.get_model("tickets", "Case")
    for old, new in OLD_TO_NEW.items():
        Case.objects.filter(outcome=old).update(outcome=new)
    # The old step slugs: "result" became "outcome", "symptoms" "failure", and the notes
    # are part of "generation" now.
    steps = {"result": "outcome", "symptoms": "failure", "notes": "generation"}
    for old, new in steps.items():
        Case.objects.filter(reached_step=old).update(reached_step=new)


def to_result(apps, schema_editor):
    Case = apps.get_model("tickets", "Case")
    for old, new in OLD_TO_NEW.items():
        Case.objects.filter(outcome=new).update(outcome=old)
    steps = {"outcome": "result", "failure": "symptoms"}
    for new, old in steps.items():
        Case.objects.filter(reached_step=new).update(reached_step=old)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_evidence_provenance"),
    ]

    operations = [
        migrations.RenameField(model_name="case", old_name="result", new_name="outcome"),
        migrations.RunPython(to_outcome, to_result),
        migrations.AlterField(
            model_name="case",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("error", "It ended in an error"),
                    ("defect", "It finished, but the result is defective"),
                    ("moderation", "It was blocked by moderation"),
                    ("stalled", "It stalled or never finished"),
                    (
                        "entitlement",
                        "It is not what I paid for (watermark, resolution, length, audio)",
                    ),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="case", name="own_words", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="case", name="error_text", field=models.TextField(blank=True)
        ),
        migrations.AddField(
            model_name="case",
            name="attempted_at",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddField(
            model_name="case",
            name="credits_charged",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="balance_before",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="balance_after",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="case", name="waited", field=models.CharField(blank=True, max_length=80)
        ),
        migrations.AddField(
            model_name="case",
            name="spec_aspect",
            field=models.CharField(
                blank=True,
                choices=[
                    ("watermark", "A watermark my plan should not add"),
                    ("resolution", "The resolution"),
                    ("duration", "The length"),
                    ("fps", "The frame rate"),
                    ("audio", "The audio"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="spec_expected",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="case",
            name="spec_delivered",
            field=models.CharField(blank=True, max_length=200),
        ),
    ]

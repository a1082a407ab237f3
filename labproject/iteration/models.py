"""The article's model, and the record of what the seeder last loaded."""

from django.db import models


class SomeModel(models.Model):
    """A row with a JSON payload and a column derived from it, as in the article."""

    data = models.JSONField()
    field = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"SomeModel #{self.pk} field={self.field}"


class SeedRecord(models.Model):
    """The shape of the last completed seed, so asking for the same data again is a no-op."""

    rows = models.BigIntegerField()
    payload_bytes = models.IntegerField()
    seed = models.BigIntegerField()
    generator_version = models.IntegerField()
    loaded_at = models.DateTimeField(auto_now=True)
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"{self.rows} rows x {self.payload_bytes} B, seed {self.seed} (generator v{self.generator_version})"

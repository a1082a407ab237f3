"""The article's model, and the record of what the seeder last loaded."""

from django.db import models


class SomeModel(models.Model):
    """A row with a JSON payload and a column derived from it, as in the article."""

    data = models.JSONField()
    field = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"SomeModel #{self.pk} field={self.field}"


class Invoice(models.Model):
    """A second table shape: a total computed from a JSON list of line items, among columns a walk must not fetch.

    Its keys are set by the seeder and sparse, as in a table that has lived through deletes.
    """

    id = models.BigIntegerField(primary_key=True)
    number = models.CharField(max_length=20)
    customer = models.CharField(max_length=60)
    issued = models.DateField()
    lines = models.JSONField()
    notes = models.TextField()
    total_cents = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"Invoice {self.number} total={self.total_cents}"


class SeedRecord(models.Model):
    """The shape of the last completed seed of a table, so asking for the same data again is a no-op."""

    table = models.CharField(max_length=100, default="iteration_somemodel")
    rows = models.BigIntegerField()
    payload_bytes = models.IntegerField()
    seed = models.BigIntegerField()
    generator_version = models.IntegerField()
    loaded_at = models.DateTimeField(auto_now=True)
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"{self.rows} rows x {self.payload_bytes} B, seed {self.seed} (generator v{self.generator_version})"

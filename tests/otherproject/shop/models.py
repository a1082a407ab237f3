from django.db import models


class Order(models.Model):
    """An order whose total is derived from its JSON line items; ``writes`` is counted by a trigger in the tests."""

    customer = models.CharField(max_length=60)
    lines = models.JSONField()
    note = models.TextField(default="")
    total = models.BigIntegerField(null=True)
    writes = models.IntegerField(default=0)

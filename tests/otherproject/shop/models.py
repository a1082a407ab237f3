from django.db import models


class Order(models.Model):
    """An order whose total is derived from its JSON line items; ``writes`` is counted by a trigger in the tests."""

    customer = models.CharField(max_length=60)
    lines = models.JSONField()
    note = models.TextField(default="")
    total = models.BigIntegerField(null=True)
    writes = models.IntegerField(default=0)


class Tag(models.Model):
    name = models.CharField(max_length=30)
    orders = models.ManyToManyField(Order, related_name="tags")


class Stock(models.Model):
    """A composite primary key (Django 5.2): a keyset walk over one column cannot order it."""

    pk = models.CompositePrimaryKey("warehouse", "sku")
    warehouse = models.CharField(max_length=10)
    sku = models.CharField(max_length=10)
    count = models.IntegerField(null=True)

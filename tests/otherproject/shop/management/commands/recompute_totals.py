from labproject.walk import UpdateRowsCommand
from shop.models import Order


class Command(UpdateRowsCommand):
    help = "Recompute every order's total from its lines."
    model = Order
    field = "total"
    reads = ["lines"]

    def compute(self, lines):
        return sum(line["qty"] * line["price"] for line in lines)

"""The article's five methods, written as its author wrote them, each reporting progress per row or batch."""

from __future__ import annotations

from django.core.paginator import Paginator

from labproject.iteration.calculation import some_calculation
from labproject.iteration.models import SomeModel
from labproject.strategies.base import RunContext, strategy


@strategy(
    "queryset_loop", "Plain QuerySet loop + save()", method=1,
    why="""Iterating a QuerySet fills its result cache: every row becomes a model instance held in
    memory until the loop ends, so memory grows with the table (O(n)). Each save() is one UPDATE and,
    outside a transaction, one commit.""",
)
def queryset_loop(ctx: RunContext) -> None:
    for obj in SomeModel.objects.all():
        obj.field = some_calculation(obj)
        obj.save(update_fields=["field"])
        ctx.advance()


@strategy(
    "iterator_save", "QuerySet.iterator(chunk_size) + save()", method=2,
    why="""iterator() skips the result cache and fetches chunk_size rows at a time (a server-side cursor
    on PostgreSQL, fetchmany on SQLite), so memory stays flat. It still pays one UPDATE per row.""",
)
def iterator_save(ctx: RunContext) -> None:
    for obj in SomeModel.objects.all().iterator(chunk_size=ctx.batch_size):
        obj.field = some_calculation(obj)
        obj.save(update_fields=["field"])
        ctx.advance()


@strategy(
    "iterator_bulk_update", "QuerySet.iterator + bulk_update per batch", method=3,
    why="""Rows stream as in method 2 and every batch is written with one bulk_update, which builds a
    CASE WHEN expression per object: far fewer statements, but costly to build, and each statement's
    SQL is kept in the query log when DEBUG is on (the article's climbing memory; see the leak study).""",
)
def iterator_bulk_update(ctx: RunContext) -> None:
    batch: list[SomeModel] = []
    for obj in SomeModel.objects.all().iterator(chunk_size=ctx.batch_size):
        obj.field = some_calculation(obj)
        batch.append(obj)
        if len(batch) >= ctx.batch_size:
            SomeModel.objects.bulk_update(batch, ["field"])
            ctx.advance(len(batch))
            batch = []
    if batch:
        SomeModel.objects.bulk_update(batch, ["field"])
        ctx.advance(len(batch))


def _pages(ctx: RunContext):
    """Yield the table's pages in pk order, as the article's Paginator loop does."""
    paginator = Paginator(SomeModel.objects.order_by("pk"), ctx.batch_size)
    for number in paginator.page_range:
        yield paginator.page(number)


@strategy(
    "paginator_save", "Paginator pages + save()", method=4,
    why="""Each page is a LIMIT/OFFSET query, so only one page of instances is alive at a time and
    memory stays flat; but OFFSET makes the database walk past every earlier row (O(n^2) rows scanned
    in total) and COUNT runs once up front, so rows added or removed during the walk shift pages.""",
)
def paginator_save(ctx: RunContext) -> None:
    for page in _pages(ctx):
        for obj in page.object_list:
            obj.field = some_calculation(obj)
            obj.save(update_fields=["field"])
            ctx.advance()


@strategy(
    "paginator_bulk_update", "Paginator pages + one bulk_update per page", method=5,
    why="""The article's winner: flat memory from paging and far fewer statements from one bulk_update
    per page. It keeps OFFSET's quadratic scan and bulk_update's CASE WHEN building, which dominate
    its time on large tables.""",
)
def paginator_bulk_update(ctx: RunContext) -> None:
    for page in _pages(ctx):
        updates = []
        for obj in page.object_list:
            obj.field = some_calculation(obj)
            updates.append(obj)
        SomeModel.objects.bulk_update(updates, ["field"])
        ctx.advance(len(updates))

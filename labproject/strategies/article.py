"""The article's five methods, written as its author wrote them, each reporting progress per row or batch.

``walk.target.value_of(obj)`` is the article's ``some_calculation(obj)`` for the walk's model, and
``walk.target.field`` its ``field``; on the lab's default target they are exactly those.
"""

from __future__ import annotations

from django.core.paginator import Paginator

from labproject.strategies.base import strategy
from labproject.walk import Walk


@strategy(
    "queryset_loop", "Plain QuerySet loop + save()", method=1, cost="per_row_save",
    why="""Iterating a QuerySet fills its result cache: every row becomes a model instance held in
    memory until the loop ends, so memory grows with the table (O(n)). Each save() is one UPDATE and,
    outside a transaction, one commit.""",
)
def queryset_loop(walk: Walk) -> None:
    target = walk.target
    for obj in target.queryset.all():
        setattr(obj, target.field, target.value_of(obj))
        obj.save(update_fields=[target.field])
        walk.advance()


@strategy(
    "iterator_save", "QuerySet.iterator(chunk_size) + save()", method=2, cost="per_row_save",
    why="""iterator() skips the result cache and fetches chunk_size rows at a time (a server-side cursor
    on PostgreSQL, fetchmany on SQLite), so memory stays flat. It still pays one UPDATE per row.""",
)
def iterator_save(walk: Walk) -> None:
    target = walk.target
    for obj in target.queryset.all().iterator(chunk_size=walk.batch_size):
        setattr(obj, target.field, target.value_of(obj))
        obj.save(update_fields=[target.field])
        walk.advance()


@strategy(
    "iterator_bulk_update", "QuerySet.iterator + bulk_update per batch", method=3, cost="per_batch_orm",
    why="""Rows stream as in method 2 and every batch is written with one bulk_update, which builds a
    CASE WHEN expression per object: far fewer statements, but costly to build, and each statement's
    SQL is kept in the query log when DEBUG is on (the article's climbing memory; see the leak study).""",
)
def iterator_bulk_update(walk: Walk) -> None:
    target = walk.target
    batch = []
    for obj in target.queryset.all().iterator(chunk_size=walk.batch_size):
        setattr(obj, target.field, target.value_of(obj))
        batch.append(obj)
        if len(batch) >= walk.batch_size:
            target.model.objects.bulk_update(batch, [target.field])
            walk.advance(len(batch))
            batch = []
    if batch:
        target.model.objects.bulk_update(batch, [target.field])
        walk.advance(len(batch))


def _pages(walk: Walk):
    """Yield the table's pages in pk order, as the article's Paginator loop does."""
    paginator = Paginator(walk.target.queryset.order_by("pk"), walk.batch_size)
    for number in paginator.page_range:
        yield paginator.page(number)


@strategy(
    "paginator_save", "Paginator pages + save()", method=4, cost="per_row_save",
    why="""Each page is a LIMIT/OFFSET query, so only one page of instances is alive at a time and
    memory stays flat; but OFFSET makes the database walk past every earlier row (O(n^2) rows scanned
    in total) and COUNT runs once up front, so rows added or removed during the walk shift pages.""",
)
def paginator_save(walk: Walk) -> None:
    target = walk.target
    for page in _pages(walk):
        for obj in page.object_list:
            setattr(obj, target.field, target.value_of(obj))
            obj.save(update_fields=[target.field])
            walk.advance()


@strategy(
    "paginator_bulk_update", "Paginator pages + one bulk_update per page", method=5, cost="per_batch_orm",
    why="""The article's winner: flat memory from paging and far fewer statements from one bulk_update
    per page. It keeps OFFSET's quadratic scan and bulk_update's CASE WHEN building, which dominate
    its time on large tables.""",
)
def paginator_bulk_update(walk: Walk) -> None:
    target = walk.target
    for page in _pages(walk):
        updates = []
        for obj in page.object_list:
            setattr(obj, target.field, target.value_of(obj))
            updates.append(obj)
        target.model.objects.bulk_update(updates, [target.field])
        walk.advance(len(updates))

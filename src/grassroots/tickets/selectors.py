from __future__ import annotations

from grassroots.core.scoping import prefixes
from grassroots.core.text import matches

from .models import Category


def category_matches(category: Category, query: str) -> bool:
    """By name, by a keyword (both also by pinyin initials: ljqy → 垃圾清运) or by code prefix."""
    return (
        matches(category.name, query)
        or any(matches(word, query) for word in category.keyword_list)
        or category.code.lower().startswith(query.strip().lower())
    )


def is_selectable(category: Category) -> bool:
    """A leaf a request can be filed under (its ancestors' state aside)."""
    return (
        category.is_active
        and not category.numchild
        and bool(category.handling_level)
        and category.sla_policy_id is not None
    )


def category_tree(*, query: str = "") -> list[Category]:
    """The catalogue offered to whoever files or dispatches a request, flat in tree order (a
    node before everything under it), each node carrying `parent_pk`.

    Shown: active categories whose ancestors are all active, and only on branches that end in a
    selectable leaf, so that every group leads somewhere. With a query, the leaves that match
    or lie under a matching group are kept, with their ancestors so the tree still reads.
    One query whatever the size: the catalogue is small (tens to a few hundred nodes) and the
    filtering by pinyin cannot be done in SQL.
    """
    nodes = list(Category.objects.select_related("sla_policy").order_by("path"))
    step = Category.steplen
    live: dict[str, Category] = {}
    pk_by_path: dict[str, int] = {}
    for node in nodes:
        parent_path = node.path[:-step]
        node.parent_pk = pk_by_path.get(parent_path)  # type: ignore[attr-defined]
        pk_by_path[node.path] = node.pk
        if node.is_active and (node.depth == 1 or parent_path in live):
            live[node.path] = node
    matched = {p for p, n in live.items() if category_matches(n, query)} if query.strip() else None
    shown: set[str] = set()
    for path, node in live.items():
        if not is_selectable(node):
            continue
        chain = prefixes(path)
        if matched is None or any(p in matched for p in chain):
            shown.update(chain)
    return [node for path, node in live.items() if path in shown]

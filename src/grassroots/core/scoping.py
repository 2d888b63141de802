"""Scoped reads: every list and detail starts from `Model.objects.visible_to(user)`.

A staff user's scope is a set of Area nodes and Department nodes (accounts.User.scope_areas /
scope_departments). Areas are a materialised-path tree, so "everything under my community" is
`'000100030002' <= path < '000100030003'` (`under`) — one index range scan on SQLite and
PostgreSQL alike, whatever the database's collation. A model says
how it hangs on the tree by implementing `scope_q`; objects outside the scope are simply not in
the queryset, so a detail fetch of one is a 404 and its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, ClassVar, Generic, TypeVar

from django.db import models
from django.db.models import Q

from .errors import NotFound

M = TypeVar("M", bound=models.Model)

PATH_STEP = 4  # treebeard's default steplen for the Area tree
PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's default, every tree here


@dataclass(frozen=True)
class Scope:
    area_paths: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.area_paths and not self.department_ids

    def ancestor_paths(self) -> set[str]:
        """Paths of every node above (and at) the scope nodes: the chain up to the district."""
        return with_ancestors(self.area_paths)


EMPTY = Scope()


def prefixes(path: str) -> list[str]:
    """A materialised path and the paths of every node above it, root first."""
    return [path[:end] for end in range(PATH_STEP, len(path) + 1, PATH_STEP)]


def with_ancestors(paths: Iterable[str]) -> set[str]:
    """The given paths and every path above them: what a filtered tree keeps so it still
    reads from the root (one set lookup per node, not a scan of all matches)."""
    return {prefix for path in paths for prefix in prefixes(path)}


def roll_up(counts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Counts per node added up to every node above it (subtree totals)."""
    totals: dict[str, int] = {}
    for path, n in counts:
        for prefix in prefixes(path):
            totals[prefix] = totals.get(prefix, 0) + n
    return totals


def scope_of(user: Any) -> Scope:
    """The user's scope, read once per user object (two small queries) and cached on it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY
    if not getattr(user, "holds_scope", True):
        return EMPTY  # no query for a role that holds no scope (residents)
    cached = getattr(user, "_scope_cache", None)
    if cached is None:
        paths = tuple(sorted(user.scope_areas.values_list("path", flat=True)))
        # A path inside another adds nothing: keep the outermost ones.
        outer = tuple(p for p in paths if not any(p != o and p.startswith(o) for o in paths))
        cached = Scope(outer, tuple(sorted(user.scope_departments.values_list("id", flat=True))))
        user._scope_cache = cached
    return cached


def path_end(path: str) -> str | None:
    """The first path after everything that starts with `path`: its last character one step
    up the alphabet, carrying past the alphabet's end ("0001000Z" → "0001001"); None when
    nothing comes after ("ZZZZ")."""
    kept = path.rstrip(PATH_ALPHABET[-1])
    if not kept:
        return None
    return kept[:-1] + PATH_ALPHABET[PATH_ALPHABET.index(kept[-1]) + 1]


def under(field: str, path: str) -> Q:
    """Q for rows whose `field` (a tree path) is `path` or lies under it, as a range:
    `path <= field < path_end(path)`.

    Not `LIKE 'path%'`: PostgreSQL uses a btree index for a LIKE prefix only under the C
    collation or with a pattern_ops index, and databases are mostly created with another
    (C.UTF-8 and zh_CN.UTF-8 included), so every scoped list scanned the whole table (issue 8).
    A range uses the ordinary index on any collation, and on SQLite too. Paths are written in
    treebeard's alphabet, digits then capital letters, which every collation orders alike."""
    end = path_end(path)
    return Q(**{f"{field}__gte": path}) & (Q(**{f"{field}__lt": end}) if end else Q())


def under_paths(field: str, paths: tuple[str, ...] | list[str]) -> Q | None:
    """Q for rows whose `field` (an Area path) lies at or under any of `paths`."""
    if not paths:
        return None
    return reduce(or_, (under(field, p) for p in paths))


class ScopedQuerySet(models.QuerySet[M], Generic[M]):
    # Business data (people, party, tickets…) is never visible to the three administrators,
    # whatever their scope (三员分立: the system admin manages base data, not residents).
    # Base data (areas, departments) and accounts set this to False.
    business_data: ClassVar[bool] = True

    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        """The filter for what `user` may see, or None for nothing. Each model defines it."""
        raise NotImplementedError

    def visible_to(self, user: Any) -> ScopedQuerySet[M]:
        scope = scope_of(user)
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if self.business_data and getattr(user, "is_admin_role", False):
            return self.none()
        q = self.scope_q(user, scope)
        return self.none() if q is None else self.filter(q)


def get_visible(source: Any, user: Any, **lookup: Any) -> Any:
    """One object the user may see, or NotFound (a 404 in views and in the API).
    `source` is a model's manager or a ScopedQuerySet."""
    try:
        return source.visible_to(user).get(**lookup)
    except (source.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc

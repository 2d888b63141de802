"""Where a request is: a chosen building, else the grid whose boundary holds the point.

Grid boundaries are GeoJSON on the Area rows. They are loaded once per process into an STR-tree
of prepared shapes and reloaded when any grid changes (a signature query: count and latest
update), so a lookup is one small query plus an in-memory search.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from grassroots.territory.models import Area, AreaKind

_lock = threading.Lock()
_cache: dict[str, Any] = {"signature": None, "tree": None, "shapes": [], "ids": []}


def _grids() -> tuple[Any, list[Any], list[int]] | None:
    # shapely is imported here, not at start-up: only filing a request with a point needs it.
    from shapely import STRtree
    from shapely.geometry import shape
    from shapely.prepared import prep

    signature = tuple(
        Area.objects.filter(kind=AreaKind.GRID, boundary__isnull=False)
        .aggregate(n=Count("id"), last=Max("updated_at"))
        .values()
    )
    with _lock:
        if _cache["signature"] != signature:
            shapes, ids = [], []
            rows = Area.objects.filter(kind=AreaKind.GRID, boundary__isnull=False).values_list(
                "id", "boundary"
            )
            for area_id, boundary in rows:
                try:
                    shapes.append(shape(boundary))
                    ids.append(area_id)
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue
            _cache.update(
                signature=signature,
                tree=STRtree(shapes) if shapes else None,
                shapes=[prep(s) for s in shapes],
                ids=ids,
            )
        if _cache["tree"] is None:
            return None
        return _cache["tree"], _cache["shapes"], _cache["ids"]


def has_grid_boundaries() -> bool:
    return _grids() is not None


def grid_at(lat: float, lon: float) -> Area | None:
    """The grid whose boundary contains the point (longitude, latitude), or None."""
    grids = _grids()
    if grids is None:
        return None
    from shapely.geometry import Point

    tree, prepared, ids = grids
    point = Point(lon, lat)
    for index in sorted(tree.query(point)):
        if prepared[index].covers(point):
            return Area.objects.get(pk=ids[index])
    return None

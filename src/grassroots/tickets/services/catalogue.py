"""Every change to the request catalogue goes through here (admin, seed scripts, API)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _

from grassroots.core.audit import audit_log
from grassroots.core.errors import ValidationFailed, from_django_validation
from grassroots.core.memo import Memo
from grassroots.territory.models import Department

from ..models import Category, HandlingLevel, SlaPolicy, split_keywords

TREE_FIELDS = ["path", "depth", "numchild"]


class Keep(Enum):
    """An argument left out of an update: the field keeps its value (None is a value)."""

    KEEP = "keep"


KEEP = Keep.KEEP


# ---------------------------------------------------------------------------------------------
# the leaves a request may be filed under, cached per process


@dataclass(frozen=True)
class Catalogue:
    # Every category code → the category when a request may be filed under it (an active leaf
    # with a time-limit policy, under no inactive group), else None.
    leaves: dict[str, Category | None]
    # Every category id → its (code, name), for the lists.
    names: dict[int, tuple[str, str]]


def _load_catalogue() -> Catalogue:
    rows = list(Category.objects.select_related("sla_policy"))
    inactive = {c.path for c in rows if not c.is_active}
    return Catalogue(
        leaves={
            c.code: c
            if c.is_active
            and c.numchild == 0
            and c.sla_policy_id is not None
            and inactive.isdisjoint(prefixes_of_category(c))
            else None
            for c in rows
        },
        names={c.pk: (c.code, c.name) for c in rows},
    )


# Filing and the lists ask the database nothing about categories.
catalogue: Memo[Catalogue] = Memo("tickets:catalogue:version", _load_catalogue)


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=SlaPolicy)
def forget_catalogue(**kwargs: object) -> None:
    catalogue.forget()


def prefixes_of_category(category: Category) -> list[str]:
    step = category.steplen
    return [category.path[:end] for end in range(step, len(category.path), step)]


# ---------------------------------------------------------------------------------------------


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc


def _policy_data(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "respond": [policy.respond_amount, policy.respond_unit],
        "resolve": [policy.resolve_amount, policy.resolve_unit],
        "warn_share": policy.warn_share,
    }


def sla_policy_create(
    *,
    actor: Any,
    name: str,
    respond_amount: int,
    respond_unit: str,
    resolve_amount: int,
    resolve_unit: str,
    warn_share: float = 0.8,
    description: str = "",
    request: HttpRequest | None = None,
) -> SlaPolicy:
    """A new SLA policy; refuses non-positive amounts, unknown units, a warning share outside
    (0, 1) and a respond limit longer than the resolve limit."""
    policy = SlaPolicy(
        name=name.strip(),
        respond_amount=respond_amount,
        respond_unit=respond_unit,
        resolve_amount=resolve_amount,
        resolve_unit=resolve_unit,
        warn_share=warn_share,
        description=description.strip(),
    )
    _full_clean(policy)
    with transaction.atomic():
        policy.save()
        audit_log(
            action="tickets.sla_policy_create",
            actor=actor,
            obj=policy,
            request=request,
            data=_policy_data(policy),
        )
    return policy


def sla_policy_update(
    *,
    actor: Any,
    policy: SlaPolicy,
    name: str | Keep = KEEP,
    respond_amount: int | Keep = KEEP,
    respond_unit: str | Keep = KEEP,
    resolve_amount: int | Keep = KEEP,
    resolve_unit: str | Keep = KEEP,
    warn_share: float | Keep = KEEP,
    description: str | Keep = KEEP,
    request: HttpRequest | None = None,
) -> SlaPolicy:
    """Changes the given fields, checked as on creation. Tickets already running keep the
    deadlines computed when their clocks started (DESIGN.md rule 4)."""
    changes: dict[str, Any] = {
        "name": name.strip() if isinstance(name, str) else name,
        "respond_amount": respond_amount,
        "respond_unit": respond_unit,
        "resolve_amount": resolve_amount,
        "resolve_unit": resolve_unit,
        "warn_share": warn_share,
        "description": description.strip() if isinstance(description, str) else description,
    }
    changed = {k: v for k, v in changes.items() if v is not KEEP and getattr(policy, k) != v}
    if not changed:
        return policy
    before = _policy_data(policy)
    for field, value in changed.items():
        setattr(policy, field, value)
    try:
        _full_clean(policy)
    except ValidationFailed:
        policy.refresh_from_db()
        raise
    with transaction.atomic():
        policy.save(update_fields=[*changed, "updated_at"])
        audit_log(
            action="tickets.sla_policy_update",
            actor=actor,
            obj=policy,
            request=request,
            data={"before": before, "after": _policy_data(policy)},
        )
    return policy


def sla_policy_delete(*, actor: Any, policy: SlaPolicy, request: HttpRequest | None = None) -> None:
    """Deletes a policy no category uses."""
    if policy.categories.exists():
        raise ValidationFailed(_("仍有类别使用该时限标准，不能删除。"))
    with transaction.atomic():
        audit_log(
            action="tickets.sla_policy_delete",
            actor=actor,
            obj=policy,
            request=request,
            data=_policy_data(policy),
        )
        policy.delete()


# --- categories -------------------------------------------------------------------------------


def _category_data(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "is_active": category.is_active,
        "handling_level": category.handling_level,
        "department": category.department.code if category.department else None,
        "sla_policy": category.sla_policy.name if category.sla_policy else None,
        "keywords": category.keywords,
        "description": category.description,
    }


def normalize_keywords(text: str) -> str:
    """Keywords as typed (commas, 、, spaces) stored one way: joined by 、."""
    return "、".join(split_keywords(text))


def _parent_of(category: Category) -> Category | None:
    if category.depth <= 1:
        return None
    return Category.objects.get(path=category.path[: -Category.steplen])


def _left_behind_errors(category: Category, new_parent: Category | None) -> dict[str, list[str]]:
    """Moving or deleting a parent's last child turns the parent into a leaf; an active leaf
    must say who handles it and how fast, so that cannot happen silently."""
    old = _parent_of(category)
    if old is None or (new_parent is not None and new_parent.pk == old.pk):
        return {}
    incomplete = not old.handling_level or old.sla_policy_id is None
    if old.numchild == 1 and old.is_active and incomplete:
        return {
            "parent": [
                _("“%(name)s”将没有下级类别，请先为它设置处理层级和时限标准，或将其停用。")
                % {"name": old.name}
            ]
        }
    return {}


def check_move(category: Category, parent: Category | None) -> dict[str, list[str]]:
    """Field errors for moving `category` under `parent` (None: to the top level)."""
    if parent is not None and parent.path.startswith(category.path):
        return {"parent": [_("不能移到自身或其下级类别之下。")]}
    return _left_behind_errors(category, parent)


def category_create(
    *,
    actor: Any,
    parent: Category | None,
    code: str,
    name: str,
    handling_level: str = "",
    sla_policy: SlaPolicy | None = None,
    department: Department | None = None,
    keywords: str = "",
    description: str = "",
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> Category:
    """A new category under `parent` (or at the top). It is a leaf, so when active it needs a
    handling level and an SLA policy; a department-level leaf may name a default department."""
    category = Category(
        code=code.strip(),
        name=name.strip(),
        handling_level=handling_level,
        sla_policy=sla_policy,
        department=department,
        keywords=normalize_keywords(keywords),
        description=description.strip(),
        is_active=is_active,
    )
    category._parent = parent  # type: ignore[attr-defined]  # read by Category.clean
    _full_clean(category, exclude=TREE_FIELDS)
    with transaction.atomic():
        if parent is None:
            category = Category.objects.add_root(instance=category)
        else:
            category = Category.objects.add_child(parent, instance=category)
        audit_log(
            action="tickets.category_create",
            actor=actor,
            obj=category,
            request=request,
            data={**_category_data(category), "parent": parent.code if parent else None},
        )
    return category


def category_update(
    *,
    actor: Any,
    category: Category,
    code: str | Keep = KEEP,
    name: str | Keep = KEEP,
    handling_level: str | Keep = KEEP,
    sla_policy: SlaPolicy | Keep | None = KEEP,
    department: Department | Keep | None = KEEP,
    keywords: str | Keep = KEEP,
    description: str | Keep = KEEP,
    is_active: bool | Keep = KEEP,
    request: HttpRequest | None = None,
) -> Category:
    """Changes the given fields (`is_active=False` deactivates: residents no longer see it or
    anything under it; tickets already filed keep it). Checked as on creation."""
    category = Category.objects.get(pk=category.pk)  # fresh numchild and path
    changes: dict[str, Any] = {
        "code": code.strip() if isinstance(code, str) else code,
        "name": name.strip() if isinstance(name, str) else name,
        "handling_level": handling_level,
        "sla_policy": sla_policy,
        "department": department,
        "keywords": normalize_keywords(keywords) if isinstance(keywords, str) else keywords,
        "description": description.strip() if isinstance(description, str) else description,
        "is_active": is_active,
    }
    changed = {k: v for k, v in changes.items() if v is not KEEP and getattr(category, k) != v}
    if not changed:
        return category
    before = _category_data(category)
    for field, value in changed.items():
        setattr(category, field, value)
    _full_clean(category, exclude=TREE_FIELDS)
    with transaction.atomic():
        category.save(update_fields=[*changed, "updated_at"])
        if "code" in changed:
            # Siblings are kept in code order (node_order_by): re-sort this one among them.
            _place(category, _parent_of(category))
        after = _category_data(category)
        audit_log(
            action="tickets.category_update",
            actor=actor,
            obj=category,
            request=request,
            data={
                "code": category.code,
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            },
        )
    return category


def _place(category: Category, parent: Category | None) -> None:
    """Puts `category` under `parent` (None: the top level) where its code sorts."""
    if parent is None:
        category_root = Category.objects.get_first_root_node()
        Category.objects.move(category, category_root, pos="sorted-sibling")
    else:
        Category.objects.move(category, parent, pos="sorted-child")
    category.refresh_from_db()
    # A move rewrites the paths by update, which sends no signal: which leaves may be chosen
    # can change with the groups above them.
    forget_catalogue()


def category_move(
    *,
    actor: Any,
    category: Category,
    parent: Category | None,
    request: HttpRequest | None = None,
) -> Category:
    """Places `category` (with everything under it) under `parent`, or at the top level."""
    category = Category.objects.get(pk=category.pk)
    parent = Category.objects.get(pk=parent.pk) if parent is not None else None
    old = _parent_of(category)
    if (old.pk if old else None) == (parent.pk if parent else None):
        return category
    errors = check_move(category, parent)
    if errors:
        raise ValidationFailed(fields=errors)
    category._parent = parent  # type: ignore[attr-defined]  # read by Category.clean
    _full_clean(category, exclude=TREE_FIELDS)
    with transaction.atomic():
        _place(category, parent)
        audit_log(
            action="tickets.category_move",
            actor=actor,
            obj=category,
            request=request,
            data={
                "code": category.code,
                "from": old.code if old else None,
                "to": parent.code if parent else None,
            },
        )
    return category


def category_delete_errors(category: Category) -> dict[str, list[str]]:
    """Why `category` cannot be deleted, if it cannot."""
    if category.numchild:
        return {"__all__": [_("请先删除或移走其下级类别。")]}
    return _left_behind_errors(category, None)


def category_delete(*, actor: Any, category: Category, request: HttpRequest | None = None) -> None:
    """Deletes a leaf. Deactivating is the usual way to retire a category."""
    category = Category.objects.get(pk=category.pk)
    errors = category_delete_errors(category)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        audit_log(
            action="tickets.category_delete",
            actor=actor,
            obj=category,
            request=request,
            data=_category_data(category),
        )
        category.delete()


def category_warnings(category: Category) -> list[str]:
    """What is allowed but worth a second look: a department-level leaf without a default
    department leaves the choice of department to the dispatcher on every ticket."""
    warnings = []
    if (
        category.is_active
        and not category.numchild
        and category.handling_level == HandlingLevel.DEPARTMENT
        and category.department_id is None
    ):
        warnings.append(
            _("“%(name)s”由职能部门处理，但未指定默认部门，派单时需逐件选择部门。")
            % {"name": category.name}
        )
    return warnings

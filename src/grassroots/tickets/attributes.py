"""Answers to a category's extra questions (CategoryAttribute; Open311 `attribute[CODE]`):
checked against each question's type, stored by code on the ticket. Every bad answer is a
field error named `attribute[CODE]`, all of them at once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from grassroots.core.errors import ValidationFailed

from .models import AttributeType, Category, CategoryAttribute

STRING_MAX = 200
TEXT_MAX = 2000


def _one(value: Any) -> str:
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise ValueError
        value = value[0]
    return str(value).strip()


def _answer(question: CategoryAttribute, value: Any) -> Any:
    """The cleaned answer, or ValueError with the message to show."""
    keys = [str(v["key"]) for v in question.values]
    kind = question.datatype
    if kind == AttributeType.MULTI:
        items = [str(v).strip() for v in (value if isinstance(value, list | tuple) else [value])]
        items = [v for v in items if v]
        if any(v not in keys for v in items):
            raise ValueError(_("选项不在可选范围内。"))
        return sorted(set(items), key=keys.index)
    text = _one(value)
    if kind == AttributeType.SINGLE:
        if text not in keys:
            raise ValueError(_("选项不在可选范围内。"))
        return text
    if kind == AttributeType.NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_("请填写数字。")) from exc
        if not number.is_finite():
            raise ValueError(_("请填写数字。"))
        return str(number)
    if kind == AttributeType.DATETIME:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(_("时间格式应为 ISO 8601，如 2026-12-01T23:00+08:00。")) from exc
        if moment.tzinfo is None:
            raise ValueError(_("时间须带时区，如 +08:00。"))
        return moment.isoformat()
    limit = TEXT_MAX if kind == AttributeType.TEXT else STRING_MAX
    if len(text) > limit:
        raise ValueError(_("不能超过 %(n)d 个字。") % {"n": limit})
    return text


def clean_attributes(
    category: Category, answers: dict[str, Any], *, require: bool = True
) -> dict[str, Any]:
    """The answers to `category`'s questions: required ones present (when the channel asks
    the questions: `require`), each of its type; an answer to a question the category does not
    ask is an error too."""
    if not answers and not require:
        return {}  # nothing asked, nothing answered: no question can fail
    questions = {q.code: q for q in category.attributes.all() if q.variable}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for code in answers:
        if code not in questions:
            errors[f"attribute[{code}]"] = [_("该类别没有这个补充问题。")]
    for code, question in questions.items():
        value = answers.get(code)
        empty = value in (None, "", [], ()) or (
            isinstance(value, list | tuple) and not any(str(v).strip() for v in value)
        )
        if empty:
            if question.required and require:
                errors[f"attribute[{code}]"] = [
                    _("请回答：%(question)s") % {"question": question.description}
                ]
            continue
        try:
            cleaned[code] = _answer(question, value)
        except ValueError as exc:
            errors[f"attribute[{code}]"] = [str(exc) or _("回答不正确。")]
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def answer_rows(ticket: Any) -> list[tuple[str, str]]:
    """(question, answer) lines of a ticket's extra answers as staff read them, options by
    their names; the Open311 media_url last. No query for a ticket without answers."""
    answers = dict(ticket.attributes or {})
    media_url = answers.pop("media_url", "")
    rows: list[tuple[str, str]] = []
    if answers:
        for question in ticket.category.attributes.all():
            if question.code not in answers:
                continue
            value = answers[question.code]
            names = {str(v["key"]): str(v["name"]) for v in question.values}
            items = value if isinstance(value, list) else [value]
            rows.append((question.description, "、".join(names.get(str(i), str(i)) for i in items)))
    if media_url:
        rows.append((str(_("外部图片链接")), str(media_url)))
    return rows

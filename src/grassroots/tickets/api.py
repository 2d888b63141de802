from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from .models import Category
from .schemas import CategoryOut
from .selectors import category_tree

router = Router(tags=["tickets"])


class CategoryFilter(Schema):
    q: str = Field(
        default="",
        max_length=50,
        description="按名称、关键词、编码或拼音首字母（如 ljqy）筛选；保留匹配项的上级",
    )


@router.get(
    "/categories",
    response=list[CategoryOut],
    summary="诉求类别（派单目录）",
    description="启用的类别，扁平列表，按树的顺序排列（上级在前）；末级类别带处理层级和时限标准。"
    "每个分组下至少有一个可选的末级类别。",
)
def category_list(request: HttpRequest, filters: Query[CategoryFilter]) -> list[Category]:
    return category_tree(query=filters.q)

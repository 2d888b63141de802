"""A few leaves ask extra questions (Open311 service definitions): where the road is broken
and how big, when night works make noise. The system admin edits them in the admin."""

from django.db import migrations

ATTRIBUTES = {
    "0604": [
        (
            "position",
            "singlevaluelist",
            True,
            "破损位置",
            "",
            1,
            [
                {"key": "road", "name": "机动车道"},
                {"key": "bike", "name": "非机动车道"},
                {"key": "walk", "name": "人行道"},
            ],
        ),
        ("area_m2", "number", False, "破损面积大约多少平方米", "填数字，如 2", 2, []),
    ],
    "0401": [
        ("started_at", "datetime", False, "噪音从什么时候开始", "如 2026-12-01T23:00+08:00", 1, []),
        (
            "kinds",
            "multivaluelist",
            False,
            "噪音来源",
            "可多选",
            2,
            [
                {"key": "machine", "name": "机械"},
                {"key": "truck", "name": "运输车辆"},
                {"key": "voice", "name": "人声喧哗"},
            ],
        ),
    ],
}


def seed(apps, schema_editor):
    Category = apps.get_model("tickets", "Category")
    CategoryAttribute = apps.get_model("tickets", "CategoryAttribute")
    for code, rows in ATTRIBUTES.items():
        category = Category.objects.filter(code=code).first()
        if category is None:
            continue
        for attr_code, datatype, required, description, hint, order, values in rows:
            CategoryAttribute.objects.get_or_create(
                category=category,
                code=attr_code,
                defaults={
                    "datatype": datatype,
                    "required": required,
                    "description": description,
                    "datatype_description": hint,
                    "order": order,
                    "values": values,
                },
            )


def unseed(apps, schema_editor):
    CategoryAttribute = apps.get_model("tickets", "CategoryAttribute")
    for code, rows in ATTRIBUTES.items():
        CategoryAttribute.objects.filter(
            category__code=code, code__in=[r[0] for r in rows]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_open311")]
    operations = [migrations.RunPython(seed, unseed)]

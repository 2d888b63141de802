"""The starting request catalogue (派单目录) and its SLA policies, in every database.

The values are configuration with documented defaults (DOMAIN.md §2), not rules: the system
admin edits them afterwards in the admin. Names and keywords are data, not UI strings.

SLA policies. Time limits follow the draft Beijing standard for 接诉即办 (Dec 2021, as reported;
DOMAIN.md source P14) and Shandong practice (P26); the law itself sets none. Amounts are whole
numbers of a unit, so the shortest respond limit is one hour.
- 紧急（2 小时办结）: threats to life or property (gas leaks, collapsed roads, missing manhole
  covers, trapped lifts, fallen trees): the draft standard's 2 hours to resolve; respond within
  1 hour; warn at half the time, since an hour is already late for such a case.
- 水电气热（24 小时）: water, power, gas and heating: 24 hours to resolve; respond within 2 hours.
- 一般（7 天）: ordinary requests: 7 days (calendar days, the end moved to the next working day
  when it falls on a holiday, 民法典 第二百零三条); respond within 24 hours.
- 复杂（15 天）: complex cases (illegal building, parking shortage, fee disputes): 15 days;
  respond within 24 hours.
- 咨询（5 个工作日）: questions about policies: Shandong's reply within 5 working days; respond
  (call back) within 4 hours, since most questions are answered on that first call.

Handling levels say who usually acts: the grid for what a grid worker removes on patrol, the
community for residents' and property matters, the street for its law-enforcement team, a
department for utilities, roads and what needs an authority. Department-level leaves name no
default department here: departments are each deployment's base data (the admin warns about
the gap; the dispatcher chooses the department meanwhile).
"""

from django.db import migrations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4  # django-treebeard MP_Node defaults, as in Category

# key: (name, respond amount, respond unit, resolve amount, resolve unit, warn share, description)
POLICIES = {
    "emergency": (
        "紧急（2 小时办结）",
        1,
        "hours",
        2,
        "hours",
        0.5,
        "危及生命财产安全的紧急诉求。北京市接诉即办地方标准征求意见稿（2021 年 12 月）：2 小时内办结。",
    ),
    "utilities": (
        "水电气热（24 小时）",
        2,
        "hours",
        24,
        "hours",
        0.8,
        "供水、供电、燃气、供热类诉求。北京市接诉即办地方标准征求意见稿：24 小时内办结。",
    ),
    "ordinary": (
        "一般（7 天）",
        24,
        "hours",
        7,
        "days",
        0.8,
        "一般诉求：7 个自然日内办结，期限最后一日为法定节假日的，顺延至节假日后第一个工作日。",
    ),
    "complex": (
        "复杂（15 天）",
        24,
        "hours",
        15,
        "days",
        0.8,
        "疑难复杂诉求：15 个自然日内办结，期限最后一日遇节假日顺延。",
    ),
    "consultation": (
        "咨询（5 个工作日）",
        4,
        "hours",
        5,
        "working_days",
        0.8,
        "政策咨询类诉求：参照山东做法，5 个工作日内答复；4 小时内回电联系。",
    ),
}

# (code, name, keywords, [(code, name, handling level, policy key, keywords), …])
CATALOGUE = [
    (
        "01",
        "市容环境",
        "市容、环境卫生、脏乱差",
        [
            (
                "0101",
                "垃圾清运不及时",
                "community",
                "ordinary",
                "垃圾、垃圾清理、垃圾桶满溢、清运、臭味",
            ),
            ("0102", "违规张贴小广告", "grid", "ordinary", "小广告、牛皮癣、乱贴乱画、喷涂"),
            ("0103", "占道经营", "street", "ordinary", "摆摊、流动摊贩、出店经营、占道"),
            ("0104", "建筑垃圾乱倒", "street", "ordinary", "渣土、装修垃圾、偷倒、乱倒"),
            ("0105", "私搭乱建", "street", "complex", "违建、违章建筑、违法建设、私搭"),
        ],
    ),
    (
        "02",
        "物业管理",
        "物业、小区",
        [
            ("0201", "物业服务不到位", "community", "ordinary", "物业、保洁、保安、服务差"),
            ("0202", "电梯故障", "community", "ordinary", "电梯、停运、维修"),
            ("0203", "电梯困人（紧急）", "department", "emergency", "电梯、困人、被困、关人"),
            ("0204", "公共设施损坏", "community", "ordinary", "楼道灯、单元门、门禁、对讲"),
            ("0205", "物业费纠纷", "community", "complex", "物业费、收费、退费、涨价"),
        ],
    ),
    (
        "03",
        "停车管理",
        "停车、车辆",
        [
            ("0301", "车辆乱停乱放", "community", "ordinary", "乱停车、违停、堵路、挡道"),
            ("0302", "僵尸车清理", "street", "ordinary", "僵尸车、废弃车辆、长期停放"),
            ("0303", "私装地锁", "community", "ordinary", "地锁、车位锁、占车位"),
            ("0304", "停车位不足", "street", "complex", "车位、停车难、停车场"),
        ],
    ),
    (
        "04",
        "噪音扰民",
        "噪音、扰民、吵闹",
        [
            ("0401", "夜间施工噪音", "department", "ordinary", "施工、夜间施工、工地"),
            ("0402", "商业经营噪音", "street", "ordinary", "商铺、喇叭、音响、叫卖"),
            ("0403", "广场舞噪音", "community", "ordinary", "广场舞、音响、音乐"),
            ("0404", "装修噪音", "community", "ordinary", "装修、电钻、敲打"),
        ],
    ),
    (
        "05",
        "水电气热",
        "水电气热、民生保障",
        [
            ("0501", "停水", "department", "utilities", "停水、没水、水压低、断水"),
            ("0502", "停电", "department", "utilities", "停电、断电、没电、跳闸"),
            (
                "0503",
                "燃气泄漏（紧急）",
                "department",
                "emergency",
                "燃气、煤气、天然气、漏气、泄漏",
            ),
            ("0504", "供暖不热", "department", "utilities", "暖气、供暖、采暖、不热"),
            ("0505", "水质异常", "department", "utilities", "水质、黄水、浑浊、异味"),
        ],
    ),
    (
        "06",
        "道路设施",
        "道路、市政设施",
        [
            ("0601", "路面塌陷（紧急）", "department", "emergency", "塌陷、地陷、坑洞"),
            ("0602", "井盖缺失（紧急）", "department", "emergency", "井盖、窨井、丢失、破损"),
            ("0603", "路灯不亮", "street", "ordinary", "路灯、照明、不亮"),
            ("0604", "道路破损", "department", "ordinary", "路面、破损、坑洼、人行道"),
            ("0605", "交通设施损坏", "department", "ordinary", "红绿灯、信号灯、护栏、标志牌"),
        ],
    ),
    (
        "07",
        "绿化",
        "绿化、园林、树木",
        [
            ("0701", "树木修剪", "community", "ordinary", "树枝、修剪、遮挡、挡光"),
            ("0702", "树木倒伏（紧急）", "street", "emergency", "倒树、断枝、大风"),
            ("0703", "绿地毁坏", "street", "ordinary", "绿地、草坪、毁绿、种菜"),
            ("0704", "病虫害", "department", "ordinary", "虫害、杨絮、飞絮、打药"),
        ],
    ),
    (
        "08",
        "治安隐患",
        "安全、隐患、消防",
        [
            ("0801", "消防通道堵塞", "street", "ordinary", "消防通道、堵塞、占用"),
            ("0802", "高空抛物", "department", "ordinary", "高空抛物、坠物、扔东西"),
            ("0803", "电动车楼道充电", "grid", "ordinary", "电动车、飞线充电、楼道充电"),
            ("0804", "楼道堆物", "grid", "ordinary", "楼道、杂物、堆放"),
            ("0805", "群租房", "street", "complex", "群租、隔断、出租房"),
        ],
    ),
    (
        "09",
        "邻里纠纷",
        "邻里、纠纷、调解",
        [
            ("0901", "邻里噪音", "community", "ordinary", "楼上、噪音、跺脚"),
            ("0902", "漏水", "community", "ordinary", "漏水、渗水、楼上漏水"),
            ("0903", "宠物扰民", "community", "ordinary", "宠物、狗叫、遛狗、狗粪"),
            ("0904", "相邻关系纠纷", "community", "complex", "采光、通行、占用、调解"),
        ],
    ),
    (
        "10",
        "养老助残",
        "养老、助残、老人、残疾人",
        [
            ("1001", "独居老人帮扶", "community", "ordinary", "独居、空巢、老人、探访"),
            ("1002", "助餐助浴", "community", "ordinary", "助餐、老年餐桌、助浴"),
            ("1003", "无障碍设施", "street", "complex", "无障碍、坡道、扶手、盲道"),
            ("1004", "残疾人帮扶", "community", "ordinary", "残疾、轮椅、康复"),
        ],
    ),
    (
        "11",
        "政策咨询",
        "咨询、政策、办事",
        [
            ("1101", "社保医保", "community", "consultation", "社保、医保、养老保险、报销"),
            ("1102", "户籍证明", "community", "consultation", "户口、户籍、开证明、居住证"),
            ("1103", "惠民政策", "community", "consultation", "补贴、低保、救助、惠民"),
            ("1104", "就业创业", "community", "consultation", "就业、失业、创业、招聘"),
            ("1105", "住房保障", "street", "consultation", "公租房、保障房、租房补贴"),
        ],
    ),
    # 99, not 12: 其他 stays last when the administrators add top-level categories.
    (
        "99",
        "其他",
        "其他",
        [
            ("9901", "其他问题", "community", "ordinary", "其他"),
            ("9902", "意见建议", "street", "ordinary", "建议、意见、表扬"),
        ],
    ),
]


def step(position):
    """The path step of the n-th child (1-based), as django-treebeard writes it."""
    digits = ""
    while position:
        position, rest = divmod(position, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEPLEN, "0")


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    Category = apps.get_model("tickets", "Category")
    policies = {}
    for key, (name, r_amount, r_unit, s_amount, s_unit, warn, description) in POLICIES.items():
        policies[key] = SlaPolicy.objects.create(
            name=name,
            respond_amount=r_amount,
            respond_unit=r_unit,
            resolve_amount=s_amount,
            resolve_unit=s_unit,
            warn_share=warn,
            description=description,
        )
    # Historical models have no treebeard methods: paths are written as treebeard would, in
    # code order (Category.node_order_by), and checked by the tests with find_problems().
    for i, (code, name, keywords, leaves) in enumerate(sorted(CATALOGUE), start=1):
        group_path = step(i)
        Category.objects.create(
            code=code, name=name, keywords=keywords, path=group_path, depth=1, numchild=len(leaves)
        )
        for j, (leaf_code, leaf_name, level, policy, leaf_keywords) in enumerate(
            sorted(leaves), start=1
        ):
            Category.objects.create(
                code=leaf_code,
                name=leaf_name,
                keywords=leaf_keywords,
                handling_level=level,
                sla_policy=policies[policy],
                path=group_path + step(j),
                depth=2,
                numchild=0,
            )


def unseed(apps, schema_editor):
    # Once edited, seeded and added categories can no longer be told apart (moves, renames):
    # unapplying removes the whole catalogue, and the seeded policies.
    apps.get_model("tickets", "Category").objects.all().delete()
    names = [policy[0] for policy in POLICIES.values()]
    apps.get_model("tickets", "SlaPolicy").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

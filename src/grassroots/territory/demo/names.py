"""Names, numbers and words for the demo city. Surnames come with their frequencies from
Faker's zh_CN data (see `people`); given names follow the fashion of the decade a person was
born in."""

from __future__ import annotations


def words(text: str) -> list[str]:
    return text.split()


GIVEN: dict[tuple[int, str], list[str]] = {
    (1930, "male"): words(
        "建国 国庆 建华 志强 德明 国栋 振华 永福 长顺 宝山 卫东 庆丰 新民 玉林 春生 "
        "树林 金宝 福来 德胜 广才 铁柱 满仓 文华 士杰 连生 荣华 殿臣 万里"
    ),
    (1930, "female"): words(
        "秀英 桂兰 玉兰 秀兰 凤英 淑珍 桂英 秀珍 玉珍 淑兰 素芬 桂芝 玉梅 秀芳 "
        "凤兰 淑英 兰英 玉英 桂珍 素珍 凤琴 秀云 翠英 金凤"
    ),
    (1960, "male"): words(
        "卫国 建军 志刚 海涛 立新 建平 东升 永刚 伟 勇 军 强 斌 刚 平 辉 明 华 林 "
        "卫红 建伟 国强 晓军 红兵 振宇 文斌 宏伟 志勇 国华"
    ),
    (1960, "female"): words(
        "红梅 丽华 晓红 美玲 丽娟 春燕 秀云 红霞 丽萍 艳 红 霞 梅 萍 芳 丽 静 "
        "晓燕 建英 慧 玉华 卫红 淑芬 海燕 雪梅 桂香"
    ),
    (1980, "male"): words(
        "伟 磊 浩 鹏 超 杰 涛 明 俊杰 志伟 晓东 文博 海洋 宇 鑫 帅 亮 峰 健 "
        "晓明 建新 振东 子健 凯 洋 阳 博 晨 旭东"
    ),
    (1980, "female"): words(
        "婷婷 丹丹 晶晶 丽丽 静 倩 娜 雪 颖 琳 璐 佳 晓燕 雅琪 欣 慧敏 "
        "晓丽 莉 敏 薇 娟 楠 蕾 燕 璐璐 思琪"
    ),
    (2000, "male"): words(
        "子涵 浩宇 梓轩 宇轩 浩然 子墨 一鸣 俊熙 沐阳 梓豪 子轩 博文 思远 皓轩 "
        "奕辰 铭泽 天佑 睿 宇航 嘉豪 锦程 泽宇 家乐 明轩"
    ),
    (2000, "female"): words(
        "欣怡 梓涵 诗涵 一诺 子萱 雨桐 可欣 思彤 梓萱 紫涵 语桐 佳怡 若汐 依诺 "
        "芷若 雨涵 雨萱 安琪 诗琪 心怡 梦瑶 嘉怡 思雨 欣妍"
    ),
}

# Registered residence (the first six digits of an ID number): Beijing districts, then places
# many Beijing residents come from.
BEIJING_REGIONS = words("110101 110102 110105 110106 110107 110108 110109 110111 110112 110114")
OTHER_REGIONS = words(
    "130102 130602 131002 370102 370202 410102 410105 420102 430102 510104 "
    "610102 120101 140105 150102 210102 220102 230102 320102 340102 360102"
)
MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
)

STREET_WORDS = words("和平 建设 团结 友谊 新华 解放 胜利 光华 永安 长青 向阳 东风")
COMMUNITY_WORDS = words(
    "幸福 光明 和谐 阳光 锦绣 春晖 翠微 金桥 银杏 丰泽 安华 惠民 康乐 福寿 平安 振兴 兴盛 "
    "文化 青年 育才 花园 枫林 桃源 紫荆 玉泉 清河 北湖 南苑 西环 东湖 新城 华光 双桥 杏林 "
    "松榆 柳荫 芳草 百合 民乐 祥和 长安 庆丰 天宁 福海 绿洲 景泰 宏达 秀水 明珠 恒泰 晨光 "
    "朝晖 书香 荷花 建华 红旗 友爱 嘉园 美景 欣园"
)
VILLAGE_WORDS = words("前进 红星 永丰 新庄 王家庄 李各庄 马坊 大营 小营 沙河 柳树屯 高庄")
COMPOUND_SUFFIXES = words("里 园 苑 家园 小区 花园 嘉园 新村")
CN_DIGITS = "零一二三四五六七八九"

COMMITMENTS = [
    "有事找我，随叫随到",
    "帮助独居老人买菜、就医",
    "调解邻里纠纷，化解矛盾",
    "宣传垃圾分类，带头做好分类",
    "每周巡查楼道，清理杂物",
    "为邻居讲解医保、养老政策",
    "帮助孩子课后辅导",
    "参与楼门文明劝导",
    "协助物业解决停车难题",
    "关心困难家庭，每月走访",
    "带头参加社区志愿服务",
    "及时反映居民诉求",
]
ROLES = ("policy_relay", "mediator", "helper")


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (grid and row names)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


def community_name(i: int) -> str:
    word = COMMUNITY_WORDS[i % len(COMMUNITY_WORDS)]
    return word + "东西南北中"[i // len(COMMUNITY_WORDS) - 1] if i >= len(COMMUNITY_WORDS) else word

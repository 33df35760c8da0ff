"""A realistic demo session package: a county road project in Jiangxi with seven bids, as real PDFs.

Everything is fictitious but shaped like the real thing: a tender document whose evaluation standard is
the same data as the manifest's method, one bid file per bidder (投标函 with the price in 大写, 资格证明,
施工组织设计, 项目管理机构, 报价清单) and the bid-opening record. Two bidders (B03, B05) share a machine
code, an upload IP, the PDF author and most of their technical text, and bid within ¥1,700 of each other,
so the collusion warnings have something to find.

Output is reproducible: prose is chosen with a seeded ``random.Random`` and reportlab runs in invariant
mode (no timestamps or random document ids), so two builds produce byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from server.packages.manifest import FORMAT_VERSION, MANIFEST_NAME

SEED = 20250318
FONT = "STSong-Light"  # a CID font built into every PDF viewer: no font file to ship or embed

PROJECT_CODE = "YXJT2025-GL017"
PROJECT_NAME = "永新县龙源口镇至秋溪村公路提升改造工程"
REGION = "江西省吉安市永新县"
TENDERER = "永新县交通运输局"
AGENCY = "江西赣诚工程项目管理有限公司"
PRICE_CAP = Decimal("12800000.00")
SESSION_ID = "YX2025-GL017-L1"
LOT_CODE = "YXJT2025-GL017-01"
LOT_NAME = "第一标段（K0+000～K18+650）"
OPENING_TIME = "2025年3月18日 9时30分"
FLOAT_POINT = Decimal("0.75")
MAX_DURATION_DAYS = 300


@dataclass(frozen=True, slots=True)
class DemoBidder:
    id: str
    name: str
    price: Decimal
    machine_code: str
    upload_ip: str
    credit: str
    legal_rep: str
    manager: str
    duration_days: int
    text_seed: int  # seed of the technical prose: equal seeds give (suspiciously) equal text
    author: str  # PDF author metadata, another electronic fingerprint


def _machine_code(rng: random.Random) -> str:
    return "-".join(f"{rng.getrandbits(16):04X}" for _ in range(4))


def demo_bidders() -> tuple[DemoBidder, ...]:
    rng = random.Random(SEED)
    codes = [_machine_code(rng) for _ in range(7)]
    ips = [f"117.41.{rng.randint(16, 250)}.{rng.randint(2, 250)}" for _ in range(7)]
    rows = [
        ("B01", "江西赣禹路桥建设有限公司", "12385600.00", "normal", "邹国华", "罗志刚", 280),
        ("B02", "吉安市通达交通建设集团有限公司", "11862300.00", "red", "肖文斌", "彭立新", 270),
        ("B03", "江西省鸿远建设工程有限公司", "11986500.00", "normal", "钟建平", "谢永红", 285),
        ("B04", "中赣路桥工程有限公司", "12598000.00", "normal", "胡长青", "曾德明", 300),
        ("B05", "江西恒顺公路工程有限公司", "11988200.00", "normal", "温海波", "刘晓东", 285),
        ("B06", "湖南湘运路桥建设有限公司", "11436800.00", "normal", "易建军", "龙卫东", 260),
        ("B07", "江西瑞昌建设集团有限公司", "12147900.00", "normal", "甘志远", "邓春华", 290),
    ]
    bidders = []
    for index, (bidder_id, name, price, credit, legal_rep, manager, days) in enumerate(rows):
        suspicious = bidder_id == "B05"
        source = 2 if suspicious else index  # B05 copies B03's fingerprints and prose
        bidders.append(
            DemoBidder(
                id=bidder_id,
                name=name,
                price=Decimal(price),
                machine_code=codes[source],
                upload_ip=ips[source],
                credit=credit,
                legal_rep=legal_rep,
                manager=manager,
                duration_days=days,
                text_seed=SEED + source,
                author="lenovo-PC" if bidder_id in ("B03", "B05") else name,
            )
        )
    return tuple(bidders)


VENUES = (
    {"id": "V01", "name": "永新县公共资源交易中心评标室", "city": "吉安市永新县", "is_main": True},
    {"id": "V02", "name": "赣州市公共资源交易中心远程异地评标室", "city": "赣州市", "is_main": False},
)
SUPERVISORS = (
    {"person_id": "S01", "name": "李明", "venue_id": "V01"},
    {"person_id": "S02", "name": "张伟", "venue_id": "V02"},
)
COMMITTEE = (
    {"person_id": "E01", "name": "刘建华", "venue_id": "V01", "kind": "drawn_expert", "reserve": False},
    {"person_id": "E02", "name": "陈志强", "venue_id": "V01", "kind": "drawn_expert", "reserve": False},
    {
        "person_id": "E03",
        "name": "王海燕",
        "venue_id": "V01",
        "kind": "tenderer_representative",
        "reserve": False,
    },
    {"person_id": "E04", "name": "黄国平", "venue_id": "V02", "kind": "drawn_expert", "reserve": False},
    {"person_id": "E05", "name": "周晓梅", "venue_id": "V02", "kind": "drawn_expert", "reserve": False},
    {"person_id": "E06", "name": "吴振宇", "venue_id": "V01", "kind": "drawn_expert", "reserve": True},
    {"person_id": "E07", "name": "郭丽萍", "venue_id": "V02", "kind": "drawn_expert", "reserve": True},
)

# Pages of the tender document that the criteria point at (each chapter starts on a new page).
_PAGE_PRELIMINARY = 4
_PAGE_DETAILED = 5
_PAGE_PRICE = 6

_CATEGORY_GROUPS = {"form": "形式评审", "qualification": "资格评审", "responsiveness": "响应性评审"}

# The evaluation standard, once: the manifest's criteria and the tender document's tables both come from it.
# Preliminary items: (id, category, title); detailed items: (id, kind, max, step, group, title).
_PRELIMINARY = (
    ("F1", "form", "投标函签字盖章"),
    ("F2", "form", "投标文件格式"),
    ("F3", "form", "报价唯一"),
    ("Q1", "qualification", "营业执照"),
    ("Q2", "qualification", "资质等级"),
    ("Q3", "qualification", "安全生产许可证"),
    ("Q4", "qualification", "项目经理"),
    ("Q5", "qualification", "信用状况"),
    ("R1", "responsiveness", "投标报价"),
    ("R2", "responsiveness", "工期"),
    ("R3", "responsiveness", "工程质量"),
    ("R4", "responsiveness", "投标有效期"),
    ("R5", "responsiveness", "投标保证金"),
)
_DETAILED = (
    ("T1", "score", "8", "0.5", "施工组织设计", "施工方案与技术措施"),
    ("T2", "score", "3", "0.5", "施工组织设计", "质量管理体系与措施"),
    ("T3", "score", "3", "0.5", "施工组织设计", "安全管理体系与措施"),
    ("T4", "score", "2", "0.5", "施工组织设计", "环境保护与文明施工"),
    ("T5", "score", "2", "0.5", "施工组织设计", "工程进度计划与保证措施"),
    ("T6", "score", "2", "0.5", "施工组织设计", "资源配备计划"),
    ("M1", "objective", "4", "1", "项目管理机构", "项目经理业绩"),
    ("M2", "objective", "3", "1", "项目管理机构", "技术负责人资格"),
    ("M3", "objective", "3", "1", "项目管理机构", "主要人员配备"),
    ("C1", "deduct", "5", "0.5", "商务及信用", "企业信用评价"),
    ("C2", "objective", "3", "1", "商务及信用", "类似工程业绩"),
    ("V1", "vote", "2", "2", "商务及信用", "合理化建议"),
    ("P1", "price", "60", "0.01", "投标报价", "投标报价"),
)
_GUIDANCE = {
    "F1": "投标函有法定代表人或其委托代理人签字并加盖单位章。",
    "F2": "投标文件格式符合第八章“投标文件格式”的要求。",
    "F3": "只能有一个有效报价，不得提交选择性报价。",
    "Q1": "具备有效的营业执照。",
    "Q2": "具备公路工程施工总承包二级及以上资质，且资质证书在有效期内。",
    "Q3": "具备有效的安全生产许可证。",
    "Q4": "公路工程专业一级注册建造师，持有效的安全生产考核合格证书（B证），且未在其他在建项目任职。",
    "Q5": "未被列入失信被执行人名单或公共资源交易黑名单。",
    "R1": "投标报价不高于最高投标限价 12,800,000.00 元。",
    "R2": f"工期不超过 {MAX_DURATION_DAYS} 日历天。",
    "R3": "质量标准达到合格（交工验收合格）。",
    "R4": "投标有效期不少于 90 日历天。",
    "R5": "按要求提交投标保证金或电子保函（80,000 元）。",
    "T1": "方案科学合理、针对性强得 6.5～8 分；基本合理得 4～6 分；一般得 0～3.5 分。",
    "T2": "体系健全、措施可行得 2.5～3 分；基本可行得 1.5～2 分；一般得 0～1 分。",
    "T3": "体系健全、措施可行得 2.5～3 分；基本可行得 1.5～2 分；一般得 0～1 分。",
    "T4": "措施具体可行得 1.5～2 分；一般得 0～1 分。",
    "T5": "计划合理、关键线路清晰得 1.5～2 分；一般得 0～1 分。",
    "T6": "机械设备、劳动力配置满足施工需要得 1.5～2 分；一般得 0～1 分。",
    "M1": "近五年每承担一项二级及以上公路新建或改建工程得 2 分，最多 4 分。",
    "M2": "具有公路专业高级工程师职称得 3 分，工程师得 1 分。",
    "M3": "质检、安全、试验负责人持证齐全得 3 分，每缺一人扣 1 分。",
    "C1": "满分 5 分；近三年每有一次行政处罚或不良行为记录扣 1 分，每有一次通报批评扣 0.5 分，扣完为止。",
    "C2": "近五年每完成一项合同金额 1000 万元以上的公路工程得 1 分，最多 3 分。",
    "V1": "评标委员会表决：过半数认为合理化建议可行、可降低造价或缩短工期的得 2 分，否则 0 分。",
    "P1": "按第三章 2.2.4 款偏差率公式计算，不由评委打分。",
}

CRITERIA: tuple[dict[str, Any], ...] = (
    *(
        {
            "id": cid,
            "title": title,
            "stage": "preliminary",
            "kind": "pass_fail",
            "category": category,
            "guidance": _GUIDANCE[cid],
            "page_refs": [f"tender:{_PAGE_PRELIMINARY}"],
            "group": _CATEGORY_GROUPS[category],
        }
        for cid, category, title in _PRELIMINARY
    ),
    *(
        {
            "id": cid,
            "title": title,
            "stage": "detailed",
            "kind": kind,
            "min": "0",
            "max": maximum,
            "step": step,
            "guidance": _GUIDANCE[cid],
            "page_refs": [f"tender:{_PAGE_PRICE if kind == 'price' else _PAGE_DETAILED}"],
            "group": group,
        }
        for cid, kind, maximum, step, group, title in _DETAILED
    ),
)

PRICE_FORMULA: dict[str, Any] = {
    "version": "deviation/v1",
    "full_points": "60",
    "base": "trimmed_mean",
    "trim_rules": [
        {"min_bids": 1, "drop_highest": 0, "drop_lowest": 0},
        {"min_bids": 6, "drop_highest": 1, "drop_lowest": 0},
        {"min_bids": 7, "drop_highest": 1, "drop_lowest": 1},
    ],
    "reference_price": None,
    "reference_factor": "1",
    "float_point_percent": str(FLOAT_POINT),
    "window_below_percent": None,
    "window_above_percent": None,
    "price_cap": str(PRICE_CAP),
    "out_of_window": "fixed_score",
    "out_of_window_score": "0",
    "deviation_rounding": "half_up",
    "deviation_decimals": 2,
    "mode": "linear",
    "up_rate": "1",
    "down_rate": "0.5",
    "max_deduction": None,
    "score_decimals": 2,
    "base_decimals": 2,
}

RULES: dict[str, Any] = {
    "min_committee_size": 5,
    "pledge_countdown_seconds": 10,
    "deviation_threshold_percent": "30",
    "min_valid_bids": 3,
    "max_candidates": 3,
    "clarification_needs_approval": True,
    "wait_before_start_hours": 2,
    "outage_reform_hours": 4,
    "tie_break": "lower_price",
}


# --- money in words ------------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def rmb_uppercase(amount: Decimal) -> str:
    """Write an amount in financial capitals (大写金额), e.g. 11986500 → 壹仟壹佰玖拾捌万陆仟伍佰元整.

    One 零 stands for any run of zeros between two non-zero digits, as 《支付结算办法》 allows.
    """
    if amount < 0:
        raise ValueError("amounts in words are for non-negative sums")
    cents = int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    out: list[str] = []
    digits = str(yuan) if yuan else ""
    pending_zero = False
    for index, char in enumerate(digits):
        position = len(digits) - 1 - index
        digit = int(char)
        if digit == 0:
            pending_zero = True
        else:
            if pending_zero and out:
                out.append("零")
            pending_zero = False
            out.append(_DIGITS[digit] + _UNITS[position % 4])
        if position % 4 == 0 and position > 0 and int(digits[max(0, index - 3) : index + 1]):
            out.append(_SECTIONS[position // 4])
    if yuan:
        out.append("元")
    if jiao:
        out.append(_DIGITS[jiao] + "角")
    if fen:
        if yuan and not jiao:
            out.append("零")
        out.append(_DIGITS[fen] + "分")
    if not yuan and not jiao and not fen:
        return "零元整"
    if not jiao and not fen:
        out.append("整")  # required after 元; optional after 角, and we leave it out there
    return "".join(out)


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


# --- PDF building blocks -------------------------------------------------------------------------------


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=10.5, leading=17, wordWrap="CJK", firstLineIndent=21
    )
    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=22, leading=32, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", fontName=FONT, fontSize=14, leading=24, alignment=TA_CENTER),
        "h1": ParagraphStyle("h1", fontName=FONT, fontSize=15, leading=24, spaceAfter=8, alignment=TA_CENTER),
        "h2": ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=20, spaceBefore=6, spaceAfter=4),
        "body": body,
        "plain": ParagraphStyle("plain", parent=body, firstLineIndent=0),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK"),
    }


def _table(rows: Sequence[Sequence[str]], widths: Sequence[float], style: ParagraphStyle) -> Table:
    cells = [[Paragraph(text, style) for text in row] for row in rows]
    table = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
    table.spaceAfter = 4 * mm
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _build_pdf(path: Path, story: list[Any], title: str, author: str, *, wide: bool = False) -> None:
    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(doc.pagesize[0] / 2, 12 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    document = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4) if wide else A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=title,
        author=author,
        creator="bideval demo",
        invariant=1,  # no creation date or random /ID: reproducible bytes
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)


# --- the tender document -------------------------------------------------------------------------------


def _tender_story(s: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [
        Spacer(1, 50 * mm),
        Paragraph(PROJECT_NAME, s["title"]),
        Spacer(1, 8 * mm),
        Paragraph(f"{LOT_NAME}", s["subtitle"]),
        Spacer(1, 12 * mm),
        Paragraph("招 标 文 件", s["title"]),
        Spacer(1, 40 * mm),
        Paragraph(f"项目编号：{PROJECT_CODE}", s["subtitle"]),
        Paragraph(f"招标人：{TENDERER}（盖单位章）", s["subtitle"]),
        Paragraph(f"招标代理机构：{AGENCY}（盖单位章）", s["subtitle"]),
        Paragraph("2025年2月", s["subtitle"]),
        PageBreak(),
        # page 2
        Paragraph("第一章 招标公告", s["h1"]),
        Paragraph(
            f"本招标项目{PROJECT_NAME}已由永新县发展和改革委员会批准建设，项目业主为{TENDERER}，"
            "建设资金来自省级交通专项补助资金及县级配套资金，项目出资比例为100%。"
            "项目已具备招标条件，现对该项目的施工进行公开招标。",
            s["body"],
        ),
        Paragraph(
            "建设地点：永新县龙源口镇至秋溪村；建设规模：路线全长18.65公里，按三级公路标准提升改造，"
            "路基宽度7.5米，沥青混凝土路面，新建及改造涵洞24道、中桥1座；计划工期：300日历天。",
            s["body"],
        ),
        Paragraph(
            "本次招标要求投标人具备公路工程施工总承包二级及以上资质，具有有效的安全生产许可证，"
            "并在人员、设备、资金等方面具有相应的施工能力。本次招标不接受联合体投标。",
            s["body"],
        ),
        Paragraph(
            "本项目实行电子招标投标和远程异地评标，投标人应在投标截止时间前通过江西省公共资源交易平台"
            f"上传加密的电子投标文件。开标时间：{OPENING_TIME}，开标采用不见面开标方式。",
            s["body"],
        ),
        PageBreak(),
        # page 3
        Paragraph("第二章 投标人须知前附表", s["h1"]),
        _table(
            [
                ["条款号", "条款名称", "编列内容"],
                ["1.1.2", "招标人", f"{TENDERER}"],
                ["1.1.3", "招标代理机构", f"{AGENCY}"],
                ["1.3.2", "计划工期", f"不超过 {MAX_DURATION_DAYS} 日历天"],
                ["1.3.3", "质量要求", "交工验收合格，竣工验收合格"],
                ["1.4.1", "投标人资质", "公路工程施工总承包二级及以上"],
                ["3.2.4", "最高投标限价", f"{_money(PRICE_CAP)} 元"],
                ["3.3.1", "投标有效期", "90 日历天（从投标截止之日算起）"],
                ["3.4.1", "投标保证金", "80,000 元，可采用银行保函或电子保函"],
                ["5.1", "开标时间", OPENING_TIME],
                ["7.1", "评标委员会", "5 人，其中招标人代表 1 人，评标专家 4 人（远程异地抽取）"],
                ["7.2", "评标办法", "综合评估法（技术 40 分，报价 60 分）"],
                ["7.3", "推荐中标候选人", "不超过 3 名，按综合得分由高到低排序"],
            ],
            (22, 40, 104),
            s["cell"],
        ),
        PageBreak(),
    ]
    # page 4: preliminary review
    story.append(Paragraph("第三章 评标办法（综合评估法）", s["h1"]))
    story.append(Paragraph("2.1 初步评审标准", s["h2"]))
    rows = [["条款", "评审因素", "评审标准"]]
    for item in CRITERIA:
        if item["stage"] == "preliminary":
            rows.append([f"{item['group']} {item['id']}", item["title"], item["guidance"]])
    story.append(_table(rows, (32, 32, 102), s["cell"]))
    story.append(
        Paragraph(
            "投标文件有一项不符合上述评审标准的，评标委员会应当否决其投标。评审结论按少数服从多数确定，"
            "评审不合格的，评标委员会成员应当书面说明理由。",
            s["body"],
        )
    )
    story.append(PageBreak())
    # page 5: detailed review
    story.append(Paragraph("2.2 详细评审标准", s["h1"]))
    rows = [["编号", "评分因素", "分值", "评分标准"]]
    for item in CRITERIA:
        if item["stage"] == "detailed" and item["kind"] != "price":
            rows.append([item["id"], f"{item['group']}：{item['title']}", item["max"], item["guidance"]])
    rows.append(["合计", "", "40", "另投标报价 60 分，总分 100 分"])
    story.append(_table(rows, (14, 46, 14, 92), s["cell"]))
    story.append(PageBreak())
    # page 6: price score
    story.append(Paragraph("2.2.4 投标报价评分标准（60 分）", s["h1"]))
    for text in (
        "（1）评标基准价：通过初步评审的投标人有效投标报价，当有效报价个数不超过5个时取算术平均值；"
        "为6个时去掉一个最高报价后取算术平均值；为7个及以上时去掉一个最高报价和一个最低报价后"
        "取算术平均值；以上平均值乘以（1－下浮系数）为评标基准价。",
        f"（2）下浮系数（浮动点）在开标现场从 0.25%～1.50% 中公开随机抽取，本项目抽取结果为 {FLOAT_POINT}%。",
        "（3）偏差率 =（投标报价－评标基准价）÷ 评标基准价 × 100%，偏差率保留小数点后两位，第三位四舍五入。",
        "（4）投标报价得分：偏差率为正时，每高出1个百分点扣1分；偏差率为负时，每低于1个百分点扣0.5分；"
        "中间值按比例内插计算；最低得 0 分。得分保留小数点后两位，第三位四舍五入。",
        "（5）投标报价高于最高投标限价的，其投标应当被否决，不参与评标基准价计算。",
    ):
        story.append(Paragraph(text, s["body"]))
    story.append(PageBreak())
    # page 7: contract
    story.append(Paragraph("第四章 合同条款及格式（摘要）", s["h1"]))
    for text in (
        "本工程采用单价合同，工程量按实际完成并经监理工程师计量确认的数量结算。",
        "预付款为签约合同价的10%，在合同签订后且承包人提交等额预付款保函后28天内支付。",
        "进度款按月计量支付，支付比例为当月完成工程量价款的80%，交工验收后支付至合同价款的95%。",
        "质量保证金为结算价款的3%，缺陷责任期为2年，期满无质量问题后退还。",
        "承包人不得转包或违法分包，项目经理和技术负责人未经发包人同意不得更换。",
        "因承包人原因延误工期的，每延误一天按签约合同价的万分之五支付违约金，累计不超过签约合同价的5%。",
    ):
        story.append(Paragraph(text, s["body"]))
    story.append(PageBreak())
    # page 8: bill of quantities summary
    story.append(Paragraph("第五章 工程量清单汇总表（最高投标限价）", s["h1"]))
    story.append(
        _table(
            [["清单编号", "章节名称", "金额（元）"]]
            + [[code, name, _money(amount)] for code, name, amount in _bill(PRICE_CAP)]
            + [["", "合计", _money(PRICE_CAP)]],
            (30, 86, 50),
            s["cell"],
        )
    )
    return story


_BILL_SECTIONS = (
    ("100章", "总则", Decimal("0.06")),
    ("200章", "路基", Decimal("0.27")),
    ("300章", "路面", Decimal("0.38")),
    ("400章", "桥梁、涵洞", Decimal("0.18")),
    ("600章", "安全设施及预埋管线", Decimal("0.08")),
    ("700章", "绿化及环境保护设施", Decimal("0.03")),
)


def _bill(total: Decimal, rng: random.Random | None = None) -> list[tuple[str, str, Decimal]]:
    """Split ``total`` over the bill sections; the last section takes the rounding so the sum is exact."""
    lines = []
    remaining = total
    for index, (code, name, share) in enumerate(_BILL_SECTIONS):
        if index == len(_BILL_SECTIONS) - 1:
            amount = remaining
        else:
            jitter = Decimal(rng.randint(-150, 150)) / 10000 if rng else Decimal("0")
            amount = (total * (share + jitter)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        remaining -= amount
        lines.append((code, name, amount))
    return lines


# --- a bid ---------------------------------------------------------------------------------------------

_METHOD_SENTENCES = (
    "路基施工按先排水、后路基、再防护的顺序组织，土方开挖采用挖掘机配合自卸汽车运输，分层填筑、分层压实。",
    "填方路基每层松铺厚度不超过30厘米，压实度采用灌砂法逐层检测，合格后方可进行上一层填筑。",
    "路面基层采用水泥稳定碎石，厂拌法集中拌和，摊铺机摊铺，碾压完成后及时覆盖洒水养生不少于7天。",
    "沥青混凝土面层采用两台摊铺机梯队作业，初压、复压、终压温度严格按试验段确定的参数控制。",
    "涵洞施工安排在枯水期集中进行，基坑开挖后及时进行地基承载力检测，满足设计要求后方可浇筑基础。",
    "中桥桩基采用旋挖钻机成孔，泥浆护壁，成孔后检查孔深、孔径和沉渣厚度，合格后下放钢筋笼并灌注水下混凝土。",
    "施工期间实行半幅施工、半幅通行，设置交通导改标志和专职安全员，保障沿线群众出行安全。",
    "雨季施工时提前做好临时排水系统，路基填筑面做成2%至4%的横坡，雨后检查合格后方可继续施工。",
)
_QUALITY_SENTENCES = (
    "建立以项目经理为第一责任人的质量保证体系，设立工地试验室，配备专职质检工程师。",
    "严格执行“三检制”，上道工序未经监理工程师检验合格，不得进行下道工序施工。",
    "原材料进场实行见证取样送检制度，不合格材料一律清退出场并做好记录。",
    "关键工序设置质量控制点，实行首件工程认可制，以首件标准指导后续施工。",
)
_SAFETY_SENTENCES = (
    "项目部设立安全生产领导小组，按规定足额提取安全生产费用，专款专用。",
    "特种作业人员必须持证上岗，施工前进行安全技术交底并签字确认。",
    "临近既有道路作业时设置警示标志和夜间警示灯，安排专人指挥交通。",
    "制定防汛、防坍塌、防触电等专项应急预案，每季度组织一次应急演练。",
)
_ENVIRONMENT_SENTENCES = (
    "施工便道定期洒水降尘，运输车辆加盖篷布，出场前冲洗轮胎。",
    "弃土按指定弃土场集中堆放并及时复绿，严禁向河道倾倒弃渣。",
    "拌和站设置沉淀池，施工废水经沉淀处理后循环利用。",
)
_SCHEDULE_SENTENCES = (
    "总体进度按施工准备、路基工程、桥涵工程、路面工程、交通安全设施及收尾五个阶段安排。",
    "以桥涵和路面工程为关键线路，配足机械设备，必要时两班作业，确保节点工期。",
    "每周召开生产例会，对比计划检查实际进度，滞后时及时调整资源投入。",
)
# A shared odd phrasing: the kind of "unusual error" that makes two bids look written by one hand.
_ODD_SENTENCE = "本工程拟投入压路机三台（其中振动压路机贰台），保证路基压实度达到设计要求的百分之九十六点五。"


def _pick(rng: random.Random, pool: Sequence[str], count: int) -> list[str]:
    return rng.sample(list(pool), k=min(count, len(pool)))


def _bid_story(bidder: DemoBidder, s: dict[str, ParagraphStyle]) -> list[Any]:
    text_rng = random.Random(bidder.text_seed)
    number_rng = random.Random(f"{SEED}-{bidder.id}")
    credit_code = "91360" + "".join(str(number_rng.randint(0, 9)) for _ in range(12)) + "X"
    story: list[Any] = [
        Spacer(1, 30 * mm),
        Paragraph(PROJECT_NAME, s["subtitle"]),
        Paragraph(LOT_NAME, s["subtitle"]),
        Spacer(1, 8 * mm),
        Paragraph("投 标 文 件", s["title"]),
        Spacer(1, 12 * mm),
        Paragraph("投 标 函", s["h1"]),
        Paragraph(f"致：{TENDERER}", s["plain"]),
        Paragraph(
            f"1. 我方已仔细研究了{PROJECT_NAME}（项目编号：{PROJECT_CODE}）招标文件的全部内容，"
            f"愿意以人民币（大写）{rmb_uppercase(bidder.price)}（¥{_money(bidder.price)}）的投标总报价，"
            f"工期 {bidder.duration_days} 日历天，按合同约定实施和完成承包工程，修补工程中的任何缺陷，"
            "工程质量达到合格标准。",
            s["body"],
        ),
        Paragraph("2. 我方承诺在招标文件规定的投标有效期 90 日历天内不修改、撤销投标文件。", s["body"]),
        Paragraph(
            "3. 随同本投标函提交投标保证金一份，金额为人民币（大写）捌万元整（¥80,000.00）。", s["body"]
        ),
        Paragraph("4. 如我方中标，我方承诺在收到中标通知书后，在规定的期限内与你方签订合同。", s["body"]),
        Spacer(1, 10 * mm),
        Paragraph(f"投标人：{bidder.name}（盖单位章）", s["plain"]),
        Paragraph(f"法定代表人：{bidder.legal_rep}（签字）", s["plain"]),
        Paragraph("日期：2025年3月17日", s["plain"]),
        PageBreak(),
        Paragraph("资格证明文件", s["h1"]),
        _table(
            [
                ["证明材料", "内容", "有效期"],
                ["营业执照", f"统一社会信用代码 {credit_code}；法定代表人 {bidder.legal_rep}", "长期"],
                [
                    "资质证书",
                    f"公路工程施工总承包{'一级' if number_rng.random() < 0.4 else '二级'}，"
                    f"证书编号 D2360{number_rng.randint(10000, 99999)}",
                    f"{number_rng.randint(2026, 2029)}年{number_rng.randint(1, 12)}月",
                ],
                [
                    "安全生产许可证",
                    f"（赣）JZ安许证字〔20{number_rng.randint(18, 23)}〕0{number_rng.randint(10000, 99999)}",
                    f"{number_rng.randint(2026, 2028)}年{number_rng.randint(1, 12)}月",
                ],
                [
                    "项目经理",
                    f"{bidder.manager}，一级注册建造师（公路工程），"
                    f"注册编号 赣136{number_rng.randint(1000000, 9999999)}，安全生产考核合格证书 B 证",
                    "有效",
                ],
                ["信用记录", "经“信用中国”网站查询，未被列入失信被执行人名单", "查询日 2025年3月10日"],
            ],
            (32, 98, 36),
            s["cell"],
        ),
        PageBreak(),
        Paragraph("施工组织设计", s["h1"]),
        Paragraph("一、施工方案与技术措施", s["h2"]),
        *[Paragraph(text, s["body"]) for text in _pick(text_rng, _METHOD_SENTENCES, 6)],
    ]
    if bidder.text_seed == SEED + 2:
        story.append(Paragraph(_ODD_SENTENCE, s["body"]))
    for heading, pool, count in (
        ("二、质量管理体系与措施", _QUALITY_SENTENCES, 3),
        ("三、安全管理体系与措施", _SAFETY_SENTENCES, 3),
        ("四、环境保护与文明施工", _ENVIRONMENT_SENTENCES, 2),
        ("五、工程进度计划与保证措施", _SCHEDULE_SENTENCES, 3),
    ):
        story.append(Paragraph(heading, s["h2"]))
        story.extend(Paragraph(text, s["body"]) for text in _pick(text_rng, pool, count))
    story.append(Paragraph("六、资源配备计划", s["h2"]))
    story.append(
        _table(
            [
                ["设备名称", "规格型号", "数量", "进场时间"],
                ["挖掘机", "PC220", str(text_rng.randint(3, 5)), "开工前"],
                ["振动压路机", "XS223J", str(text_rng.randint(2, 4)), "开工前"],
                ["沥青摊铺机", "ABG7820", "2", "路面施工前"],
                ["水稳拌和站", "WCB600", "1", "基层施工前"],
                ["旋挖钻机", "SR200", "1", "桥梁施工前"],
            ],
            (46, 46, 30, 44),
            s["cell"],
        )
    )
    story.append(PageBreak())
    staff = [
        ["职务", "姓名", "职称/证书", "主要业绩"],
        [
            "项目经理",
            bidder.manager,
            "一级建造师（公路）",
            f"近五年主持公路工程 {number_rng.randint(1, 3)} 项",
        ],
        ["技术负责人", _person(number_rng), number_rng.choice(["高级工程师（公路）", "工程师（公路）"]), "—"],
        ["质检负责人", _person(number_rng), "工程师，交通部质检证书", "—"],
        ["安全负责人", _person(number_rng), "安全生产考核合格证书 C 证", "—"],
        ["试验负责人", _person(number_rng), "公路水运工程试验检测工程师", "—"],
    ]
    story.extend(
        [
            Paragraph("项目管理机构", s["h1"]),
            _table(staff, (30, 26, 52, 58), s["cell"]),
            Paragraph(
                f"项目经理{bidder.manager}承诺本工程施工期间不在其他任何在建项目担任项目经理，"
                "每月在岗时间不少于22天。",
                s["body"],
            ),
            PageBreak(),
            Paragraph("已标价工程量清单汇总表", s["h1"]),
            _table(
                [["清单编号", "章节名称", "金额（元）"]]
                + [[code, name, _money(amount)] for code, name, amount in _bill(bidder.price, number_rng)]
                + [["", "投标报价", _money(bidder.price)]],
                (30, 86, 50),
                s["cell"],
            ),
            Paragraph(f"投标总报价（大写）：{rmb_uppercase(bidder.price)}", s["plain"]),
        ]
    )
    return story


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭罗梁宋谢韩唐冯邓曾彭萧"
_GIVEN = "建国志伟海平明华文军涛斌勇强辉春红丽芳燕东晓立新"


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, k=2))


# --- the opening record --------------------------------------------------------------------------------


def _opening_story(bidders: Sequence[DemoBidder], s: dict[str, ParagraphStyle]) -> list[Any]:
    rows = [["序号", "投标人名称", "投标报价（元）", "工期（日历天）", "质量目标", "投标保证金", "备注"]]
    for index, bidder in enumerate(bidders, start=1):
        rows.append(
            [str(index), bidder.name, _money(bidder.price), str(bidder.duration_days), "合格", "电子保函", ""]
        )
    return [
        Paragraph(f"{PROJECT_NAME} 开标记录表", s["h1"]),
        Paragraph(
            f"项目编号：{PROJECT_CODE}　标段：{LOT_NAME}　开标时间：{OPENING_TIME}　"
            f"开标地点：永新县公共资源交易中心（不见面开标）",
            s["plain"],
        ),
        Paragraph(
            f"最高投标限价：{_money(PRICE_CAP)} 元　　现场随机抽取的下浮系数（浮动点）：{FLOAT_POINT}%",
            s["plain"],
        ),
        Spacer(1, 4 * mm),
        _table(rows, (14, 82, 36, 28, 22, 26, 25), s["cell"]),
        Spacer(1, 6 * mm),
        Paragraph(
            "招标人代表：王海燕　　　招标代理机构：（签字）　　　记录人：（签字）　　　监督人：李明",
            s["plain"],
        ),
    ]


# --- the package ---------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def demo_manifest(bidders: Sequence[DemoBidder], bid_hashes: dict[str, str]) -> dict[str, Any]:
    """The manifest of the demo package (the bid-file hashes come from the PDFs just written)."""
    return {
        "format_version": FORMAT_VERSION,
        "project": {
            "code": PROJECT_CODE,
            "name": PROJECT_NAME,
            "region": REGION,
            "project_type": "construction",
            "tenderer": TENDERER,
            "agency": AGENCY,
            "price_cap": str(PRICE_CAP),
        },
        "venues": list(VENUES),
        "supervisors": list(SUPERVISORS),
        "lots": [
            {
                "code": LOT_CODE,
                "name": LOT_NAME,
                "session_id": SESSION_ID,
                "bidders": [
                    {
                        "id": b.id,
                        "name": b.name,
                        "price": str(b.price),
                        "bid_file": f"bids/{b.id}.pdf",
                        "bid_file_sha256": bid_hashes[b.id],
                        "credit": b.credit,
                        "machine_code": b.machine_code,
                        "upload_ip": b.upload_ip,
                    }
                    for b in bidders
                ],
                "committee": list(COMMITTEE),
                "documents": [
                    {"id": "tender", "kind": "tender", "title": "招标文件", "file": "documents/tender.pdf"},
                    {
                        "id": "opening-record",
                        "kind": "opening_record",
                        "title": "开标记录表",
                        "file": "documents/opening-record.pdf",
                    },
                ],
                "method": {
                    "name": "综合评估法（技术 40 分 + 报价 60 分）",
                    "rules": dict(RULES),
                    "criteria": list(CRITERIA),
                    "price_formula": dict(PRICE_FORMULA),
                },
            }
        ],
    }


def build_demo_package(out_dir: Path) -> Path:
    """Write the demo package into ``out_dir`` (created if needed; its files are overwritten); return it."""
    _register_font()
    styles = _styles()
    bidders = demo_bidders()
    (out_dir / "documents").mkdir(parents=True, exist_ok=True)
    (out_dir / "bids").mkdir(exist_ok=True)
    _build_pdf(
        out_dir / "documents" / "tender.pdf", _tender_story(styles), f"{PROJECT_NAME} 招标文件", AGENCY
    )
    _build_pdf(
        out_dir / "documents" / "opening-record.pdf",
        _opening_story(bidders, styles),
        f"{PROJECT_NAME} 开标记录表",
        AGENCY,
        wide=True,
    )
    hashes: dict[str, str] = {}
    for bidder in bidders:
        path = out_dir / "bids" / f"{bidder.id}.pdf"
        _build_pdf(path, _bid_story(bidder, styles), f"{bidder.name} 投标文件", bidder.author)
        hashes[bidder.id] = _sha256(path)
    manifest = json.dumps(demo_manifest(bidders, hashes), ensure_ascii=False, indent=2)
    (out_dir / MANIFEST_NAME).write_text(manifest + "\n", encoding="utf-8")
    return out_dir

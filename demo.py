"""A demo dealership: staff of every role and complaints in every state, made
through the workflow so each has a real timeline. Repeatable (fixed seed)."""
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import accounts
import catalog
import workflow
from models import Department, User

PASSWORD = "demo-2026"
STAFF = [
    # user name, name, roles, department code
    ("wang.gm", "王建国", ["general_manager"], None),
    ("li.care", "李娜", ["care_manager"], None),
    ("zhao.clerk", "赵敏", ["callback_clerk"], None),
    ("chen.sales", "陈刚", ["department_manager"], "sales"),
    ("liu.service", "刘强", ["department_manager"], "after_sales"),
    ("zhou.va", "周婷", ["department_manager"], "value_added"),
    ("sun.sc", "孙磊", ["front_line"], "sales"),
    ("wu.sc", "吴芳", ["front_line"], "sales"),
    ("zheng.sa", "郑浩", ["front_line"], "after_sales"),
    ("he.sa", "何静", ["front_line"], "after_sales"),
    ("lin.reception", "林小雨", ["front_line"], None),
]
USERNAMES = [s[0] for s in STAFF]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌鹏宇浩然欣怡子涵雨轩"
MODELS = ["朗逸", "帕萨特", "途观L", "速腾", "迈腾", "宝来", "ID.4 X", "途岳", "凌渡", "威然"]
PROVINCES = "沪沪沪沪苏浙皖京粤"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

STORIES = {
    "sales_service": "交车时销售顾问没有讲解车辆功能，问了几次都说以后再说，客户很不满意。",
    "staff_attitude": "客户来店咨询时接待人员态度冷淡，长时间无人理会。",
    "sales_promise": "购车时承诺赠送的脚垫和贴膜至今没有兑现，客户要求说法。",
    "price": "客户发现购车一周后同款车型降价8000元，要求补差价。",
    "paperwork": "上牌手续拖了三周还没办好，客户每天用车不便。",
    "disclosure": "合同里的金融服务费交车前没有说明，客户认为被误导。",
    "new_car_delivery": "约定的交车日期一再推迟，客户已经退掉了旧车。",
    "product_quality": "新车行驶不到2000公里，冷车启动时发动机异响明显，客户担心质量问题。",
    "after_sales_service": "保养预约后到店仍等了两个多小时，也没人告知进度。",
    "repair_quality": "更换刹车片后仍有异响，同一问题第二次返修。",
    "parts_supply": "空调压缩机配件缺货，客户已经等了10天，天气炎热无法用车。",
    "value_added": "延保合同条款与销售时介绍的不一致，客户要求退保。",
    "other": "客户反映展厅停车场收费不合理。",
}


def seed(count, now, tz, rng=None):
    """Make the demo staff and `count` complaints received over the last 45 days."""
    rng = rng or random.Random(2026)
    staff = _staff()
    # In time order, so numbers follow the order complaints came in.
    for received in sorted(_office_hours(rng, now, tz) for _ in range(count)):
        _one_complaint(rng, staff, received, now, tz)
    return count


def _office_hours(rng, now, tz):
    """A moment in the last 45 days between 08:30 and 18:00 local time, as naive UTC."""
    zone = ZoneInfo(tz)
    day = (now.replace(tzinfo=UTC).astimezone(zone) - timedelta(days=rng.randint(0, 45))).date()
    local = datetime.combine(day, time(8, 30), zone) + timedelta(minutes=rng.randint(0, 570))
    return min(local.astimezone(UTC).replace(tzinfo=None), now - timedelta(minutes=5))


def _staff():
    departments = {d.code: d for d in Department.select()}
    users = {}
    for username, name, roles, dept in STAFF:
        user = User.get_or_none(User.username == username)
        if user is None:
            user = accounts.create_user(username, name, roles, PASSWORD,
                                        department=departments.get(dept))
        users[username] = user
    return users


def _one_complaint(rng, staff, received, now, tz):
    category = rng.choice(catalog.codes("category"))
    registrar = staff[rng.choice(["sun.sc", "wu.sc", "zheng.sa", "he.sa", "lin.reception", "zhao.clerk"])]
    fields = {
        "received_at": received, "channel": rng.choice(catalog.codes("channel")),
        "external_ref": "",
        "business_line": "after_sales" if catalog.ROUTED_TO.get(category) == "after_sales" else "sales",
        "customer_name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
        "customer_phone": "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9)),
        "customer_type": rng.choice([""] * 3 + catalog.codes("customer_type")),
        "vehicle_model": rng.choice(MODELS), "vin": _vin(rng), "plate": _plate(rng),
        "delivery_date": (received - timedelta(days=rng.randint(3, 700))).date(),
        "category": category, "demand": rng.choice(catalog.codes("demand")),
        "severity": rng.choice(["general"] * 5 + ["intermediate"] * 3 + ["irrational"]),
        "major_facts": ["media_court"] if rng.random() < 0.05 else [],
        "description": STORIES[category], "person_involved": None,
    }
    if fields["channel"] == "manufacturer":
        fields["external_ref"] = f"CRM{rng.randint(10**7, 10**8 - 1)}"
    complaint = workflow.register(fields, registrar, received, tz)
    _advance(rng, staff, complaint, received, now)


def _advance(rng, staff, complaint, at, now):
    """Walk the complaint some way along its life, never past `now`."""
    manager = {"sales": "chen.sales", "after_sales": "liu.service", "value_added": "zhou.va"}
    routed = workflow.route(complaint.category)
    boss = staff[manager.get(routed.code if routed else None, "li.care")]
    if complaint.awaiting_dispatch:  # the care manager verifies and dispatches; the manager signs for it
        first = [("dispatch", staff["li.care"], {
            "verified_facts": "已电话核实，情况属实。", "handler": boss,
            "department": routed or Department.get(Department.code == complaint.business_line),
            "due_at": complaint.received_at + timedelta(hours=72)}), ("acknowledge", boss, {})]
    else:
        first = [("assign", boss, {"department": complaint.department, "handler": boss})]
    steps = first + [
        ("contact", boss, {"method": "phone", "summary": "已致电客户，了解详细情况并致歉，约定明天给出方案。"}),
        ("findings", boss, {"fields": {"verified_facts": "情况属实。",
                                       "cause_class": rng.choice(catalog.codes("cause_class")),
                                       "cause": "内部流程执行不到位。", "handling_method": "向客户道歉并提供免费检修。",
                                       "root_cause": ""}}),
        ("solution", boss, {"fields": {"solution": "免费检修并赠送一次保养。",
                                       "acceptance": "accepted", "confirmed_in_writing": True,
                                       "recourse_told": []}}),
        ("compensate", boss, {"kind": "gifted_service", "amount": rng.choice([200, 500]),
                              "description": "赠送一次保养"}),
        ("resolve", boss, {"result": "问题已解决，客户表示认可。"}),
        ("callback", staff["li.care"], {"outcome": rng.choice(["satisfied"] * 6 + ["unhappy"]),
                                        "notes": "客户对处理结果满意。"}),
    ]
    version = complaint.version
    # Most complaints older than a week have been dealt with; recent ones are still open.
    old = (now - at).days > 7 and rng.random() < 0.85
    for action, actor, data in steps[:len(steps) if old else rng.randint(0, len(steps))]:
        at = at + timedelta(hours=rng.choice([0.5, 1, 2, 3, 20, 24, 26]))
        if at >= now:
            return
        version = workflow.perform(action, complaint.id, version, actor, at, **data).version


def _vin(rng):
    return rng.choice(["LSV", "LFV", "LVS", "LGB"]) + "".join(rng.choices(VIN_CHARS, k=14))


def _plate(rng):
    letter = rng.choice("ABCDEFGHJKLMN")
    if rng.random() < 0.2:
        return rng.choice(PROVINCES) + letter + "D" + "".join(rng.choices("0123456789", k=5))
    return rng.choice(PROVINCES) + letter + "".join(rng.choices(PLATE_CHARS, k=5))

"""Importing the dealer management system's exports: encodings, Excel dates, merged title rows,
bad rows, duplicates, the same file twice, a large file, and files that are not what they claim."""
import io
import json
from datetime import date, datetime, timedelta

import pytest
from helpers import csrf_token, weekdays_only
from openpyxl import Workbook

import process
from models import Call, Delivery, DoNotCall, ImportJob, ServiceVisit, User

# Days relative to today: calls due more than 30 days ago are not made, future dates are refused.
D1, D2, D3, D4 = (date.today() - timedelta(days=n) for n in (5, 4, 3, 6))
HEADER = "客户姓名,联系电话,车型,车架号,车牌号,交车日期,销售顾问\n"
ROWS = [f"张伟,13812345678,朗逸,LSVAB2180E2123456,沪A12345,{D1},Front\n",
        f"李娜,13912345678,帕萨特,LSVCD2180E2654321,沪B54321,{D2:%Y/%m/%d},孙小明\n"]


@pytest.fixture(autouse=True)
def setting(app):
    weekdays_only()


def upload(client, content, name="export.csv", kind="deliveries"):
    return client.post("/callbacks/import", data={"kind": kind, "file": (io.BytesIO(content), name),
                                                  "csrf_token": csrf_token(client)}, content_type="multipart/form-data")


def job():
    return ImportJob.select().order_by(ImportJob.id.desc()).get()


def summary():
    return json.loads(job().summary)


def save(client):
    return client.post(f"/callbacks/import/{job().id}/save", data={"csrf_token": csrf_token(client)})


def test_a_gbk_csv_from_chinese_excel_is_read_without_asking(as_user):
    client = as_user("clerk")
    response = upload(client, (HEADER + "".join(ROWS)).encode("gbk"))
    assert response.status_code == 303
    assert job().status == "checked" and summary()["valid"] == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "可保存 2 行" in page and "尚未保存" in page
    assert Delivery.select().count() == 0  # nothing saved before the person says so
    save(client)
    assert [d.customer_name for d in Delivery.select().order_by(Delivery.id)] == ["张伟", "李娜"]
    assert Delivery.get(Delivery.customer_name == "张伟").consultant.username == "front"  # matched by full name
    assert Delivery.get(Delivery.customer_name == "李娜").consultant is None  # kept as a name only
    assert job().status == "done" and summary()["calls"] > 0


def test_a_gb18030_file_with_a_character_gbk_lacks(as_user):
    rare = "王䶮"  # U+4DAE: in GB18030, not in GBK
    content = (HEADER + ROWS[0].replace("张伟", rare)).encode("gb18030")
    with pytest.raises(UnicodeEncodeError):
        rare.encode("gbk")
    upload(as_user("clerk"), content)
    save(as_user("clerk"))
    assert Delivery.get().customer_name == rare


def test_utf8_with_bom_and_tabs_and_english_headers(as_user):
    content = ("\ufeffCustomer Name\tMobile\tModel\tVIN\tPlate\tDelivery Date\tSales Consultant\n"
               f"Zhang Wei\t13812345678\tLavida\tLSVAB2180E2123456\t沪A12345\t{D1}\t\n").encode()
    upload(as_user("clerk"), content)
    assert summary()["valid"] == 1


def xlsx(rows, title=None):
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_a_merged_title_serial_dates_and_text_dates(as_user):
    content = xlsx([
        ["客户姓名", "手机号", "车型", "VIN码", "车牌", "交车日期"],
        ["张伟", 13812345678, "朗逸", "LSVAB2180E2123456", "沪A12345", (D1 - date(1899, 12, 30)).days],  # a serial
        ["李娜", "13912345678", "帕萨特", "LSVCD2180E2654321", "", f"{D2:%Y}年{D2.month}月{D2.day}日"],
        ["王芳", "13712345678", "途观", "LSVEF2180E2111111", "", datetime.combine(D3, datetime.min.time())],
        ["赵强", "13612345678", "途观", "LSVGH2180E2222222", "", f"{D4:%Y%m%d}"],
    ], title="2026年11月交车明细（销售部）")
    upload(as_user("clerk"), content, "交车明细.xlsx")
    assert summary()["valid"] == 4, summary()["problems"]
    save(as_user("clerk"))
    assert sorted(d.delivered_on for d in Delivery.select()) == sorted([D1, D2, D3, D4])
    assert Delivery.get(Delivery.customer_name == "张伟").customer_phone == "13812345678"  # a number in Excel


def test_bad_rows_are_listed_with_their_row_number_and_not_saved(as_user):
    content = (HEADER + ROWS[0]
               + f"李娜,1234,帕萨特,LSVCD2180E2654321,,{D2},\n"  # row 3: bad phone
               + f"王芳,13712345678,途观,,,{D2},\n"  # row 4: no VIN
               + f"赵强,13612345678,途观,LSVIO2180E2222222,,{D2},\n"  # row 5: I and O in the VIN
               + f"钱多,13512345678,途观,LSVGH2180E2333333,,{date.today() + timedelta(days=3)},\n"  # 6: future
               + "孙丽,13412345678,途观,LSVGH2180E2444444,,soon,\n"  # row 7: not a date
               + ROWS[0]).encode("utf-8")  # row 8: the same as row 2
    client = as_user("clerk")
    upload(client, content)
    problems = {(row, problem.split("：")[0].split(":")[0]) for row, _column, problem in summary()["problems"]}
    assert {row for row, _p in problems} == {3, 4, 5, 6, 7, 8}
    page = client.get(f"/callbacks/import/{job().id}").get_data(as_text=True)
    assert "不是电话号码" in page and "与第 2 行重复" in page and "缺少" in page
    save(client)
    assert Delivery.select().count() == 1


def test_the_same_file_twice_creates_nothing_new(as_user):
    content = (HEADER + "".join(ROWS)).encode("utf-8")
    client = as_user("clerk")
    upload(client, content)
    save(client)
    calls = Call.select().count()
    upload(client, content)
    assert summary()["valid"] == 0 and summary()["already"] == 2
    assert "以前已导入" in client.get(f"/callbacks/import/{job().id}").get_data(as_text=True)
    assert Delivery.select().count() == 2 and Call.select().count() == calls


@pytest.mark.parametrize("content, name, message", [
    (b"", "empty.csv", "文件是空的"),
    (HEADER.encode("utf-8"), "header-only.csv", "没有数据行"),
    (b"MZ\x90\x00\x03" + b"\x00" * 600, "deliveries.csv", "不是 CSV 或 Excel"),
    (b"%PDF-1.4\n" + b"x" * 600, "deliveries.xlsx", "不是 CSV 或 Excel"),
    ("只有一列\n张伟\n".encode(), "one-column.csv", "没有可用的列"),
])
def test_a_file_that_cannot_be_imported_says_why_and_saves_nothing(as_user, content, name, message):
    response = upload(as_user("clerk"), content, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert ImportJob.select().count() == 0 and Delivery.select().count() == 0


def test_a_file_over_the_size_limit_is_refused(app, as_user):
    app.config["IMPORT_MAX_MB"] = 1
    response = upload(as_user("clerk"), (HEADER + ROWS[0] * 30_000).encode("utf-8"))
    assert response.status_code in (413, 422)
    assert Delivery.select().count() == 0


def test_unknown_headers_are_mapped_once_and_remembered(as_user):
    content = ("Cust,Tel,Type,Chassis,Reg,Handed over\n"
               f"张伟,13812345678,朗逸,LSVAB2180E2123456,沪A12345,{D1}\n").encode()
    client = as_user("clerk")
    upload(client, content)
    assert job().status == "mapping"
    page = client.get(f"/callbacks/import/{job().id}").get_data(as_text=True)
    assert "各列分别是什么" in page and "Chassis" in page
    refused = client.post(f"/callbacks/import/{job().id}/mapping", data={"csrf_token": csrf_token(client),
                                                                         "map-customer_name": "0"})
    assert refused.status_code == 422 and "请选择存放" in refused.get_data(as_text=True)
    client.post(f"/callbacks/import/{job().id}/mapping", data={
        "csrf_token": csrf_token(client), "map-customer_name": "0", "map-customer_phone": "1",
        "map-vehicle_model": "2", "map-vin": "3", "map-plate": "4", "map-delivered_on": "5"})
    assert job().status == "checked" and summary()["valid"] == 1
    upload(client, content.replace(b"LSVAB2180E2123456", b"LSVAB2180E2999999"))
    assert job().status == "checked"  # the same layout: read by itself


def test_service_visits_are_known_by_their_repair_order(as_user):
    content = ("工单号,客户名称,手机,车牌号,出厂日期,服务顾问,维修项目\n"
               f"RO2611001,张伟,13812345678,沪A12345,{D1},Advisor,更换刹车片\n"
               f"RO2611002,李娜,13912345678,沪B54321,{D2},,首保\n").encode()
    client = as_user("clerk")
    upload(client, content, kind="service_visits")
    save(client)
    assert ServiceVisit.select().count() == 2
    assert ServiceVisit.get(ServiceVisit.repair_order == "RO2611001").advisor.username == "advisor"
    upload(client, content, kind="service_visits")
    assert summary()["already"] == 2


def test_only_the_clerk_care_manager_and_administrator_import(as_user):
    for name in ("front", "service_mgr", "gm"):
        assert as_user(name).get("/callbacks/import").status_code == 404


def test_twenty_thousand_rows_import_with_their_calls(as_user, monkeypatch):
    import callbacks.schedule
    monkeypatch.setattr(callbacks.schedule, "TOO_OLD", callbacks.schedule.TOO_OLD * 100)
    lines = [HEADER] + [f"客户{i},13{i:09d},朗逸,LSV{i:014d},,{D1 - timedelta(days=i % 20)},\n"
                        for i in range(20_000)]
    client = as_user("clerk")
    upload(client, "".join(lines).encode("gbk"))
    assert summary()["valid"] == 20_000 and job().done == 20_000
    save(client)
    assert Delivery.select().count() == 20_000
    assert Call.select().count() == 20_000 * 3  # the consultant's (to the clerk: no user), 7 and 25 days


def test_customers_who_asked_not_to_be_called_get_no_calls(as_user):
    process.save({"call_attempts": 3})
    DoNotCall.create(phone="13812345678", since=datetime(2026, 1, 1))
    client = as_user("clerk")
    upload(client, (HEADER + "".join(ROWS)).encode("utf-8"))
    save(client)
    assert Delivery.select().count() == 2
    assert not Call.select().where(Call.customer_phone == "13812345678").exists()
    assert User.select().count() > 0

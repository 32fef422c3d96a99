"""`bsm report sla`: hand-computed figures in CSV, JSON and the PDF's text; reproducibility.

The window 2026-11-02T00:00Z..2026-11-04T00:00Z is 2 days = 172,800 s (see report_data).

shop (24x7, target 99 %):
  no data   00:00-06:00 on the 2nd (nothing known before the first event) = 21,600 s
  excluded  shop-db down 02:10-02:50 on the 3rd inside its maintenance window = 2,400 s
  downtime  12:00-12:40 on the 2nd (2,400 s) + 23:30-24:00 on the 3rd (1,800 s of the
            outage that runs to 00:30 on the 4th) = 4,200 s; 2 incidents
  degraded  shop-api degraded 08:00-09:00 on the 3rd = 3,600 s
  measured  172,800 - 21,600 - 2,400 = 148,800 s
  availability (148,800 - 4,200) / 148,800 = 97.177419 %  -> missed
  budget    1 % of 148,800 = 1,488 s; left 1,488 - 4,200 = -2,712 s
  MTTR 4,200 / 2 = 2,100 s; MTBF 144,600 / 2 = 72,300 s

desk (Mon-Fri 09:00-17:00 UTC, target 95 %):
  scheduled 2 x 8 h = 57,600 s; no data 0 (known from 06:00); excluded 0
  downtime  warehouse down 16:00-18:00 on the 2nd, 16:00-17:00 in hours = 3,600 s; 1 incident
  availability 54,000 / 57,600 = 93.75 % -> missed
  budget    5 % of 57,600 = 2,880 s; left -720 s; MTTR 3,600 s; MTBF 54,000 s
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from store import Store

WINDOW = ("--from", "2026-11-02", "--to", "2026-11-04")
HEADER = (
    "service,title,tier,target,scheduled_s,excluded_s,downtime_s,degraded_s,no_data_s,"
    "availability,met,incidents,mttr_s,mtbf_s,error_budget_s,error_budget_left_s"
)
DESK = "desk,Help Desk,2,95,57600,0,3600,0,0,93.750000,false,1,3600,54000,2880,-720"
SHOP = "shop,Web Shop,1,99,172800,2400,4200,3600,21600,97.177419,false,2,2100,72300,1488,-2712"


def bsm(store: Store, *args: str) -> Result:
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(main, [*args, "--db", url], catch_exceptions=False)


def report(store: Store, tmp_path: Path, fmt: str, *args: str, name: str = "") -> Path:
    out = tmp_path / f"report{name}.{fmt}"
    result = bsm(store, "report", "sla", *args, "--format", fmt, "--output", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_csv_has_the_hand_computed_figures(report_store: Store, tmp_path: Path) -> None:
    text = report(report_store, tmp_path, "csv", *WINDOW).read_text()
    assert text.splitlines() == [HEADER, DESK, SHOP]


def test_json_has_the_hand_computed_figures(report_store: Store, tmp_path: Path) -> None:
    data = json.loads(report(report_store, tmp_path, "json", *WINDOW).read_text())
    shop = {s["service"]: s for s in data["services"]}["shop"]
    assert shop["scheduled_s"] == 172_800
    assert shop["no_data_s"] == 21_600
    assert shop["excluded_s"] == 2_400
    assert shop["downtime_s"] == 4_200
    assert shop["degraded_s"] == 3_600
    assert shop["measured_s"] == 148_800
    assert shop["availability"] == pytest.approx(144_600 / 148_800 * 100, abs=1e-6)
    assert shop["met"] is False
    assert shop["error_budget_s"] == 1_488
    assert shop["error_budget_left_s"] == -2_712
    assert shop["mttr_s"] == 2_100 and shop["mtbf_s"] == 72_300
    # The two incidents with their times (the second clipped at the window's end) and cause.
    assert [
        (i["start"], i["end"], i["downtime_s"], i["root_causes"]) for i in shop["incident_list"]
    ] == [
        ("2026-11-02T12:00:00+00:00", "2026-11-02T12:40:00+00:00", 2_400, ["shop-db"]),
        ("2026-11-03T23:30:00+00:00", "2026-11-04T00:00:00+00:00", 1_800, ["shop-db"]),
    ]
    assert shop["maintenance"] == [
        {
            "component": "shop-db",
            "start": "2026-11-03T02:00:00+00:00",
            "end": "2026-11-03T03:00:00+00:00",
            "reason": "disk swap",
            "set_by": "alice",
        }
    ]
    # Days: the 2nd has 2,400 s down over 86,400 - 21,600 = 64,800 s measured.
    assert shop["days"][0]["availability"] == pytest.approx((64_800 - 2_400) / 64_800 * 100)
    assert shop["days"][-1]["budget_left_s"] == -2_712
    # The previous two days have no events at all: no data, never 100 %.
    assert shop["previous"]["availability"] is None
    assert data["previous_period"]["start"] == "2026-10-31T00:00:00+00:00"
    assert data["data_as_of"] == "2026-11-04T00:00:00+00:00"
    assert len(data["input_sha256"]) == 64
    actions = [c["action"] for c in data["map_changes"]]
    assert actions == []  # the map import and maintenance were recorded now, not in November


def test_two_runs_give_identical_csv_and_json_bytes(report_store: Store, tmp_path: Path) -> None:
    for fmt in ("csv", "json"):
        first = report(report_store, tmp_path, fmt, *WINDOW, name="1").read_bytes()
        second = report(report_store, tmp_path, fmt, *WINDOW, name="2").read_bytes()
        assert first == second


def test_a_month_period(report_store: Store, tmp_path: Path) -> None:
    # November 2026 = 30 days = 2,592,000 s. No data from 1st 00:00 to 2nd 06:00 = 30 h =
    # 108,000 s. The last outage is whole now: 2,400 + 3,600 = 6,000 s down. Excluded 2,400.
    # measured = 2,592,000 - 108,000 - 2,400 = 2,481,600 s.
    text = report(report_store, tmp_path, "csv", "--period", "2026-11", "--service", "shop")
    row = text.read_text().splitlines()[1].split(",")
    assert row[4:9] == ["2592000", "2400", "6000", "3600", "108000"]
    assert row[9] == f"{(2_481_600 - 6_000) / 2_481_600 * 100:.6f}"


def test_tier_and_service_filters(report_store: Store, tmp_path: Path) -> None:
    text = report(report_store, tmp_path, "csv", *WINDOW, "--tier", "2").read_text()
    assert text.splitlines() == [HEADER, DESK]
    result = bsm(
        report_store,
        "report",
        "sla",
        *WINDOW,
        "--service",
        "shopp",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "x.csv"),
    )
    assert result.exit_code == 2
    assert "shopp" in result.output and "shop" in result.output


def test_bad_period_names_the_option(report_store: Store, tmp_path: Path) -> None:
    result = bsm(
        report_store,
        "report",
        "sla",
        "--period",
        "2026-Q7",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "x.csv"),
    )
    assert result.exit_code == 2
    assert "--period" in result.output and "2026-q7" in result.output


def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        if os.environ.get("BSM_REQUIRE_PDFTOTEXT") == "1":
            pytest.fail("pdftotext (poppler-utils) is missing and BSM_REQUIRE_PDFTOTEXT=1")
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    return found


def test_pdf_text_has_the_figures_and_the_method(report_store: Store, tmp_path: Path) -> None:
    tool = pdftotext()
    pdf = report(report_store, tmp_path, "pdf", *WINDOW)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        [tool, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    flat = " ".join(text.split())
    for figure in (
        "97.177419%",
        "93.750000%",
        "172800 s",
        "21600 s",
        "2400 s",
        "4200 s",
        "148800 s",
        "57600 s",
        "3600 s",
    ):
        assert figure in flat, figure
    assert "Accounting method" in flat
    assert "Data as of 2026-11-04 00:00:00 UTC" in flat
    json_text = report(report_store, tmp_path, "json", *WINDOW).read_text()
    assert json.loads(json_text)["input_sha256"] in flat
    assert "disk swap" in flat and "alice" in flat
    assert "Mon-Fri 09:00-17:00 UTC" in flat
    assert "missed" in flat


def test_the_appendix_lists_the_periods_map_changes(report_store: Store, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    # The fixture imported the map and added the window just now: a period around now has them.
    today = datetime.now(UTC).date()
    around = ("--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1)))
    data = json.loads(report(report_store, tmp_path, "json", *around).read_text())
    assert [(c["action"], c["actor"]) for c in data["map_changes"]] == [
        ("map.merge", "tests"),
        ("maintenance.add", "alice"),
    ]

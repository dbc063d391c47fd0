"""The service dashboard: messages by channel and day, the service funnel, time to effective
service, as SVG charts, and the numbers behind them as CSV."""
from __future__ import annotations

import csv
import io

from flask import Response, g, render_template, request

from court import db, display
from court.i18n import _
from court.services import stats
from staff.console import bp, charts
from staff.console.auth import login_required


def _days() -> int:
    return min(max(request.args.get("days", 30, type=int) or 30, 7), 366)


@bp.get("/dashboard")
@login_required
def dashboard():  # type: ignore[no-untyped-def]
    st = stats.service_stats(db.session(), g.staff.court_id, days=_days())
    days = [d.isoformat() for d in st.days]
    names = {ch: display.label(ch) for ch in stats.CHANNELS}
    messages = charts.stacked_bars(days, {ch: [st.by_day[d][ch] for d in st.days] for ch in stats.CHANNELS}, names)
    funnel = charts.horizontal_bars([(_(label), n) for label, n in st.funnel])
    histogram = charts.horizontal_bars([(_(label), n) for label, n in st.histogram()], color="#3a6ea5")
    return render_template("console/dashboard.html", st=st, days=_days(), messages=messages, funnel=funnel,
                           histogram=histogram, total=sum(sum(c.values()) for c in st.by_day.values()))


@bp.get("/dashboard.csv")
@login_required
def dashboard_csv():  # type: ignore[no-untyped-def]
    st = stats.service_stats(db.session(), g.staff.court_id, days=_days())
    buf = io.StringIO()
    csv.writer(buf).writerows(st.rows())
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",  # the BOM lets Excel read the Chinese
                    headers={"Content-Disposition": "attachment; filename=service-stats.csv"})

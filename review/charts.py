"""The review's charts as plain geometry for SVG templates (templates/reports/_charts.html):
no chart library, no script, nothing fetched; they print as the page does."""
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 16, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


def _nice_top(largest):
    """A round top for the count axis (1, 2, 5 × a power of ten) at or above the largest value."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= largest:
                return max(step * factor, 1)
        step *= 10


def trend(points):
    """12 months: a bar of complaints received a month (left axis), a line for each timely
    rate (right axis, 0–100 %). A month with nothing judged leaves a gap in its line."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    top = _nice_top(max((p[1] for p in points), default=0))
    bars, lines = [], {"response": [], "completion": []}
    for i, (month, received, response, completion) in enumerate(points):
        height = plot_h * received / top
        x = LEFT + i * slot
        bars.append(Bar(round(x + slot * 0.2, 1), round(TOP + plot_h - height, 1), round(slot * 0.6, 1),
                        round(height, 1), received, month.strftime("%Y-%m")))
        for name, rate in (("response", response), ("completion", completion)):
            point = None if rate.percent is None else (
                round(x + slot / 2, 1), round(TOP + plot_h * (1 - rate.percent / 100), 1), rate.percent)
            lines[name].append(point)
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
            "bottom": TOP + plot_h, "count_top": top, "bars": bars,
            "lines": {name: _segments(pts) for name, pts in lines.items()},
            "dots": {name: [p for p in pts if p] for name, pts in lines.items()},
            "month_labels": [(b.x + b.width / 2, b.label[2:]) for b in bars]}


def _segments(points):
    """Runs of consecutive points as SVG polyline strings (a gap where a month has no rate)."""
    runs, current = [], []
    for point in points:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(f"{point[0]},{point[1]}")
    if current:
        runs.append(current)
    return [" ".join(run) for run in runs]


def breakdown(rows, width=WIDTH, row_height=22, label_width=150, limit=10):
    """Horizontal bars of [(label, count)], most first, at most `limit` of them (the caller
    sums the rest into one row)."""
    shown = rows[:limit]
    largest = max((count for _label, count in shown), default=0) or 1
    plot_w = width - label_width - 48
    bars = [Bar(label_width, i * row_height + 2, round(plot_w * count / largest, 1), row_height - 6, count, label)
            for i, (label, count) in enumerate(shown)]
    return {"width": width, "height": max(len(bars), 1) * row_height, "bars": bars, "label_x": label_width - 6}

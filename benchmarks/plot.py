"""The plot of BENCHMARKS.md: build time against size, as a hand-written SVG (no dependency)."""

from __future__ import annotations

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 30, 40, 60


def _nice(value: float) -> float:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if value <= step * 5:
            return step
    return 10000


def build_time_svg(results: dict) -> str:
    sizes = results["sizes"]
    fixed = results["fixed_part_seconds"]
    xs = [0] + [s["dossiers"] for s in sizes]
    series = {
        "full build": ("#1f6feb", [fixed] + [s["build_seconds"] for s in sizes]),
        "data part (build − fixed)": ("#d97706", [0] + [s["data_part_seconds"] for s in sizes]),
        "models upstream of the 2 indicators": (
            "#7c3aed",
            [0] + [s["upstream_models_seconds"] for s in sizes],
        ),
        "lower bound (one DuckDB script)": (
            "#16a34a",
            [0] + [s["lower_bound_seconds"] for s in sizes],
        ),
    }
    x_max = max(xs) or 1
    y_max = max(max(v) for _, v in series.values()) or 1
    y_step = _nice(y_max / 5)
    y_top = y_step * (int(y_max / y_step) + 1)

    def px(x: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * x / x_max

    def py(y: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * y / y_top

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">'
        "Warehouse build time against size (one run, same machine)</text>",
    ]
    y = 0.0
    while y <= y_top + 1e-9:
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{py(y):.1f}" y2="{py(y):.1f}" '
            'stroke="#e5e7eb"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
        y += y_step
    for x in xs:
        out.append(
            f'<text x="{px(x):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
            f"{x / 1e6:g} M</text>"
        )
    out.append(
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 15}" text-anchor="middle">dossiers (0 = empty '
        "world: the fixed part)</text>"
    )
    out.append(
        f'<text x="18" y="{HEIGHT / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {HEIGHT / 2})">seconds</text>'
    )
    for i, (label, (color, values)) in enumerate(series.items()):
        points = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(xs, values, strict=True))
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, v in zip(xs, values, strict=True):
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="3" fill="{color}"/>')
        ly = TOP + 8 + 16 * i
        out.append(
            f'<line x1="{LEFT + 10}" x2="{LEFT + 30}" y1="{ly}" y2="{ly}" stroke="{color}" '
            'stroke-width="2"/>'
        )
        out.append(f'<text x="{LEFT + 36}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"

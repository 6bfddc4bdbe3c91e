"""The refresh benchmark's report: its ratios and growth factors come from the measurements."""

from amrit_assets import bench_refresh


def test_refresh_report_ratios_and_growth_come_from_the_measurements() -> None:
    floor = dict.fromkeys(bench_refresh.FLOOR_STEPS, 1.0)  # 4 s in all

    def size(n: int, rows: int, wall1: float, wall2: float) -> bench_refresh.RefreshSize:
        runs = [bench_refresh.RefreshRun(1, {"staging": wall1 / 2, "anonymized": wall1 / 4}, wall1), bench_refresh.RefreshRun(2, {"staging": wall2 / 2}, wall2)]
        return bench_refresh.RefreshSize(n, rows, 8_000_000, floor, runs)

    text = bench_refresh.format_refresh_report([size(10, 1000, 40.0, 20.0), size(100, 10000, 800.0, 200.0)])
    assert "ratio refresh / I/O floor: w=1: 10.00  w=2: 5.00" in text
    assert "ratio refresh / I/O floor: w=1: 200.00  w=2: 50.00" in text
    # seconds x20 and x10 over rows x10; the floor stayed at 4 s
    assert "growth 10 -> 100 (rows x10.00; seconds ratio / rows ratio, 1.0 = linear): floor 0.10, refresh w=1 2.00, refresh w=2 1.00" in text
    [anonymized] = [line for line in text.splitlines() if line.split()[:2] == ["10", "anonymized"]]
    assert anonymized.split()[2:] == ["10.00", "100", "0.8", "-"]  # seconds, rows/s, MB/s; no such step with 2 workers

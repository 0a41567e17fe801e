"""Where the test suite's time goes: per folder, and the slowest tests.

    python bench/bench_test_suite.py                       # the whole suite on DATABASE_URL, then the report
    python bench/bench_test_suite.py tests/worker -n 4     # extra arguments go to pytest
    python bench/bench_test_suite.py --report junit.xml    # only the report, from an earlier run's JUnit XML

It runs pytest once with ``--durations=50`` (pytest's own list of the slowest phases) and ``--junitxml``,
then reads the XML: the time of each test (setup + call + teardown) summed per folder of ``tests/``,
the number of tests per folder, and the ``--top`` slowest tests. With xdist (``-n``) the per-folder sums
are worker-seconds, not wall time: compare them with the run's wall time (printed last) to see how much
the workers overlapped. README "Tests" explains the ten slowest.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class TestTime:
    nodeid: str
    seconds: float
    outcome: str

    @property
    def folder(self) -> str:
        parts = self.nodeid.split("/")
        return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def read_junit(path: Path) -> list[TestTime]:
    """Every test case of a JUnit XML file written by pytest, as a node id with its time and outcome."""
    tests = []
    for case in ET.parse(path).iter("testcase"):  # noqa: S314 - pytest's own output, written here
        classname, name = case.get("classname", ""), case.get("name", "")
        # pytest writes classname "tests.worker.test_x.TestClass" and name "test_y[param]".
        module_parts = classname.split(".")
        index = next((i for i, part in enumerate(module_parts) if part.startswith("test_")), None)
        if index is None:
            nodeid = f"{classname}::{name}"
        else:
            path_part = "/".join(module_parts[: index + 1]) + ".py"
            nodeid = "::".join([path_part, *module_parts[index + 1 :], name])
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = child.tag
                break
        tests.append(TestTime(nodeid, float(case.get("time", 0.0)), outcome))
    return tests


def report(tests: list[TestTime], *, top: int, wall: float | None = None) -> str:
    lines = []
    per_folder: dict[str, list[TestTime]] = defaultdict(list)
    for test in tests:
        per_folder[test.folder].append(test)
    total = sum(test.seconds for test in tests)
    lines.append(f"{'folder':<24} {'tests':>6} {'seconds':>9} {'share':>6}")
    for folder, group in sorted(per_folder.items(), key=lambda item: -sum(t.seconds for t in item[1])):
        seconds = sum(t.seconds for t in group)
        lines.append(f"{folder:<24} {len(group):>6} {seconds:>9.1f} {seconds / max(total, 1e-9):>6.0%}")
    lines.append(f"{'all':<24} {len(tests):>6} {total:>9.1f}")
    counts = defaultdict(int)
    for test in tests:
        counts[test.outcome] += 1
    lines.append("outcomes: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))
    lines.append("")
    lines.append(f"the {top} slowest tests (setup + call + teardown):")
    for test in sorted(tests, key=lambda t: -t.seconds)[:top]:
        lines.append(f"{test.seconds:8.1f} s  {test.nodeid}")
    if wall is not None:
        lines.append("")
        lines.append(f"wall time of the run: {wall:.0f} s; test time summed: {total:.0f} s "
                     f"(overlap {total / max(wall, 1e-9):.1f}x)")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--report", type=Path, help="only summarise this JUnit XML file")
    parser.add_argument("--junit", type=Path, help="where the run writes its JUnit XML (kept)")
    parser.add_argument("--top", type=int, default=20, help="how many slowest tests to list")
    options, pytest_args = parser.parse_known_args()
    if options.report:
        print(report(read_junit(options.report), top=options.top))
        return 0
    junit = options.junit or Path(tempfile.mkdtemp(prefix="cctv-durations-")) / "junit.xml"
    argv = [sys.executable, "-m", "pytest", "--durations=50", f"--junitxml={junit}", *pytest_args]
    started = time.monotonic()
    result = subprocess.run(argv, cwd=REPO, check=False)
    wall = time.monotonic() - started
    print()
    print(f"JUnit XML: {junit}")
    print(report(read_junit(junit), top=options.top, wall=wall))
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())

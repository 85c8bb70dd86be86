"""No test may depend on the machine's speed: every Hypothesis test turns the deadline off.

Hypothesis's default deadline (200 ms per example) failed test_round_trip_holds_for_any_text on a
loaded machine although nothing was wrong; the tests here check results, not speed.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [ast.unparse(decorator) for decorator in node.decorator_list]


def test_every_hypothesis_test_has_no_deadline() -> None:
    missing, found = [], 0
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorators = _decorators(node)
            if not any(d.startswith("given(") for d in decorators):
                continue
            found += 1
            if not any(d.startswith("settings(") and "deadline=None" in d for d in decorators):
                missing.append(f"{path.name}::{node.name}")
    assert found >= 15  # the scan does see the property tests
    assert missing == [], "add @settings(deadline=None) to " + ", ".join(missing)

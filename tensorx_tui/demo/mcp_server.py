"""The offline demo's MCP server: harmless tools over stdio, no network, no files.

    python -m tensorx_tui.demo.mcp_server

- `weather(city)`: from a fixed table (an unknown city is a tool error, which shows that case);
- `calculate(expression)`: arithmetic only, parsed with `ast` and evaluated node by node, never
  `eval`; numbers, + - * / // % **, parentheses, with bounds so no expression can hang it;
- `clock()`: the current UTC time, or the text of TENSORX_DEMO_CLOCK when set (screenshots, tests).

The tool functions are plain Python; the MCP SDK is imported only by `build_server()`, so the app
can ask for `demo_server_config()` without loading it.
"""

from __future__ import annotations

import ast
import functools
import operator
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tensorx_tui.tools.config import ServerConfig

CLOCK_ENV = "TENSORX_DEMO_CLOCK"
SERVER_NAME = "demo"

# city: (temperature in Celsius, conditions, humidity %, wind km/h). Made up, and fixed.
WEATHER: dict[str, tuple[int, str, int, int]] = {
    "paris": (18, "partly cloudy", 62, 14),
    "tokyo": (24, "sunny", 55, 9),
    "london": (14, "light rain", 81, 20),
    "new york": (21, "clear", 48, 12),
    "berlin": (16, "overcast", 70, 11),
    "oslo": (9, "drizzle", 85, 17),
    "rome": (26, "sunny", 40, 8),
    "madrid": (28, "clear", 30, 10),
    "sydney": (19, "windy", 60, 31),
    "cairo": (33, "hot and dry", 20, 13),
    "reykjavik": (6, "snow showers", 78, 25),
    "san francisco": (17, "fog", 88, 19),
}

MAX_EXPRESSION = 200
_MAX_EXPONENT = 1000
_MAX_RESULT_BITS = 100_000

_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def weather(city: str) -> dict[str, Any]:
    """Current weather for a city (the demo's fixed table)."""
    key = " ".join(city.lower().split())
    if key not in WEATHER:
        known = ", ".join(name.title() for name in WEATHER)
        raise ValueError(f"no weather for {city!r} in the demo; known cities: {known}")
    temperature, conditions, humidity, wind = WEATHER[key]
    return {
        "city": key.title(),
        "temperature_c": temperature,
        "conditions": conditions,
        "humidity_percent": humidity,
        "wind_kmh": wind,
    }


def calculate(expression: str) -> str:
    """Evaluate arithmetic: numbers, + - * / // % **, parentheses. Anything else is refused."""
    if len(expression) > MAX_EXPRESSION:
        raise ValueError(f"the expression is longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None
    value = _evaluate(tree.body)
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def _evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        number: int | float = node.value  # type: ignore[assignment]
        return number
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        operand = _evaluate(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        try:
            result = _OPERATORS[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ValueError("division by zero") from None
        except OverflowError:
            raise ValueError("the result is too large") from None
        if isinstance(result, complex):
            raise ValueError("the result is not a real number")
        return result  # type: ignore[no-any-return]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
        raise ValueError("use ** for powers (^ is not arithmetic here)")
    raise ValueError("only numbers, + - * / // % ** and parentheses are allowed")


def _check_power(base: int | float, exponent: int | float) -> None:
    # 9**9**9 would take minutes and gigabytes: bound the exponent and the size of the result.
    if abs(exponent) > _MAX_EXPONENT:
        raise ValueError(f"exponents above {_MAX_EXPONENT} are not allowed")
    exact = isinstance(base, int) and isinstance(exponent, int)
    if exact and int(base).bit_length() * abs(int(exponent)) > _MAX_RESULT_BITS:
        raise ValueError("the result is too large")


def clock() -> str:
    """The current time in UTC (ISO 8601)."""
    fixed = os.environ.get(CLOCK_ENV)
    if fixed:
        return fixed
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_server() -> Any:
    """The MCP server (imports the SDK)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    def as_tool(function: Callable[..., Any]) -> Callable[..., Any]:
        # A ValueError is a failure the tool expects: its text goes to the model (as isError).
        # Any other exception would be a crash, whose text the SDK keeps on the server.
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except ValueError as exc:
                raise ToolError(str(exc)) from None

        return run

    server = MCPServer(
        "tensorx-demo",
        instructions="Harmless offline tools for the tensorx-chat demo.",
        log_level="WARNING",
    )
    for function in (weather, calculate, clock):
        server.add_tool(as_tool(function))
    return server


def demo_server_config() -> ServerConfig:
    """The config that runs this server with the app's own interpreter (for `--demo`)."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": package_root}  # the same code as the running app, installed or not
    if os.environ.get(CLOCK_ENV):
        env[CLOCK_ENV] = os.environ[CLOCK_ENV]
    return ServerConfig(
        name=SERVER_NAME,
        transport="stdio",
        command=sys.executable,
        args=("-m", "tensorx_tui.demo.mcp_server"),
        env=env,
        timeout=10.0,
    )


def main() -> None:
    build_server().run("stdio")


if __name__ == "__main__":
    main()

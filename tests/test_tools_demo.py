"""The demo MCP server's tools, and the demo model calling them and quoting their results."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tensorx_tui.demo.mcp_server import (
    CLOCK_ENV,
    calculate,
    clock,
    demo_server_config,
    weather,
)
from tensorx_tui.demo.scripts import calculation_in, script_for
from tensorx_tui.tools import ServerState, ToolServers

FIXED_TIME = "2025-06-01T12:00:00Z"


def test_weather_comes_from_the_table() -> None:
    assert weather("  new   YORK ") == {
        "city": "New York",
        "temperature_c": 21,
        "conditions": "clear",
        "humidity_percent": 48,
        "wind_kmh": 12,
    }
    with pytest.raises(ValueError, match=r"no weather for .Atlantis.*known cities: Paris"):
        weather("Atlantis")


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("2 ** 10 % 1000", "24"),
        ("7 / 2", "3.5"),
        ("7 // 2", "3"),
        ("-3 ** 2", "-9"),
        ("0.1 + 0.2", "0.3"),
        ("1e3 / 8", "125"),
        ("2 ** -1", "0.5"),
    ],
)
def test_calculate_does_arithmetic(expression: str, result: str) -> None:
    assert calculate(expression) == result


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('true')", "only numbers"),
        ("abs(-1)", "only numbers"),
        ("x + 1", "only numbers"),
        ("'a' * 3", "only numbers"),
        ("True + 1", "only numbers"),
        ("[1, 2]", "only numbers"),
        ("(1).real", "only numbers"),
        ("1 if 1 else 2", "only numbers"),
        ("2 ^ 3", "use \\*\\* for powers"),
        ("1 / 0", "division by zero"),
        ("9 ** 9 ** 9", "exponents above 1000"),
        ("(10 ** 999) ** 999", "too large"),
        ("10.0 ** 400", "too large"),
        ("(-8) ** 0.5", "not a real number"),
        ("1 +", "not an arithmetic expression"),
        ("1" + "+1" * 150, "longer than 200"),
    ],
)
def test_calculate_refuses_everything_else(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calculate(expression)


def test_clock_is_utc_or_the_fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CLOCK_ENV, raising=False)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", clock())
    monkeypatch.setenv(CLOCK_ENV, FIXED_TIME)
    assert clock() == FIXED_TIME


def test_calculations_are_found_only_when_asked_for() -> None:
    assert calculation_in("What is 17 * (3 + 4)?") == "17 * (3 + 4)"
    assert calculation_in("12.5/5") == "12.5/5"
    assert calculation_in("calculate 2^10") == "2**10"
    assert calculation_in("how much is 3 × 4 ÷ 2") == "3 * 4 / 2"
    assert calculation_in("I ate 2-3 apples") is None
    assert calculation_in("what is 5") is None
    assert calculation_in("what is (2+3") == "2+3"


def tool(name: str, **properties: Any) -> dict[str, Any]:
    parameters = {"type": "object", "properties": properties, "required": list(properties)}
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


DEMO_TOOLS = [
    tool("demo__weather", city={"type": "string"}),
    tool("demo__calculate", expression={"type": "string"}),
    tool("demo__clock"),
]


def calls_for(text: str, tools: list[dict[str, Any]] = DEMO_TOOLS) -> list[tuple[str, Any]]:
    script = script_for("demo", {"messages": [{"role": "user", "content": text}], "tools": tools})
    return [(c.name, json.loads(c.arguments)) for c in script.tool_calls]


def test_the_demo_model_calls_the_tool_the_prompt_asks_for() -> None:
    assert calls_for("What's the weather in Paris and Tokyo?") == [
        ("demo__weather", {"city": "Paris"}),
        ("demo__weather", {"city": "Tokyo"}),
    ]
    assert calls_for("what is 17 * (3 + 4)?") == [
        ("demo__calculate", {"expression": "17 * (3 + 4)"})
    ]
    assert calls_for("What time is it?") == [("demo__clock", {})]
    assert calls_for("Weather in Oslo? And what time is it?") == [
        ("demo__weather", {"city": "Oslo"}),
        ("demo__clock", {}),
    ]
    assert calls_for("Tell me a joke") == []
    assert calls_for("what is 6 * 7?", tools=[DEMO_TOOLS[0]]) == []  # no calculator offered


async def test_the_whole_loop_with_the_demo_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLOCK_ENV, FIXED_TIME)
    async with ToolServers([demo_server_config()]) as servers:
        await servers.wait_ready()
        assert servers.status("demo").state is ServerState.READY, servers.status("demo").reason
        tools = servers.openai_tools()
        assert [t["function"]["name"] for t in tools] == [
            "demo__weather",
            "demo__calculate",
            "demo__clock",
        ]

        async def turn(text: str) -> str:
            """One user message, the model's tool calls run for real, the model's answer."""
            messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
            asked = script_for("demo", {"messages": messages, "tools": tools})
            assert asked.finish_reason == "tool_calls" and asked.tool_calls
            calls = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in asked.tool_calls
            ]
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
            for call in asked.tool_calls:
                outcome = await servers.call(call.name, json.loads(call.arguments))
                messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": outcome.content}
                )
            answer = script_for("demo", {"messages": messages, "tools": tools})
            assert answer.finish_reason == "stop" and not answer.tool_calls
            return answer.content

        weather_answer = await turn("What's the weather in Paris and Tokyo?")
        assert "**Paris**: temperature\\_c: 18, conditions: partly cloudy" in weather_answer
        assert "**Tokyo**: temperature\\_c: 24" in weather_answer
        assert "Tokyo is the warmer one, 6 degrees above Paris." in weather_answer
        assert "**17 \\* (3 + 4)** = 119" in await turn("what is 17 * (3 + 4)?")
        assert f"The time is **{FIXED_TIME}** (UTC)" in await turn("What time is it?")
        unknown = await turn("weather in Atlantis")
        assert "no weather for 'Atlantis'" in unknown

"""The scripted replies of the demo server: pure functions of (model, request body).

The same request always gets the same reply. See docs/demo.md for the rules.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tensorx_tui.demo.attachment_reply import attachments_reply
from tensorx_tui.demo.longdoc import long_document
from tensorx_tui.demo.tokenizer import count_tokens, message_text, tokenize

# Models the server knows. Fault models are described in faults.py.
DEMO = "demo"
DEMO_REASONER = "demo-reasoner"
DEMO_LONG = "demo-long"
DEMO_FILTER = "demo-fault-filter"

# Words in the prompt that make the scripted content filter stop the reply.
FILTER_WORD = "forbidden"
# The slow fault streams at least this many tokens (>= 30 s at 5 tokens/s).
SLOW_MIN_TOKENS = 160


@dataclass(slots=True)
class ScriptedToolCall:
    id: str
    name: str
    arguments: str  # JSON text, streamed in token-sized fragments


@dataclass(slots=True)
class Script:
    """What the model "says", before max_tokens and stop sequences are applied."""

    content: str = ""
    reasoning: str = ""
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    finish_reason: str = "stop"


@dataclass(slots=True)
class Step:
    """One streamed piece: a reasoning/content token, a tool call's start, or an argument piece."""

    kind: str  # "reasoning" | "content" | "tool_start" | "tool_args"
    text: str  # the token; for tool_start the function name
    tool_index: int = 0
    tool_id: str = ""


@dataclass(slots=True)
class Plan:
    """The exact pieces to send, with the finish reason and honest token counts."""

    steps: list[Step]
    finish_reason: str
    completion_tokens: int
    reasoning_tokens: int

    @property
    def content(self) -> str:
        return "".join(s.text for s in self.steps if s.kind == "content")

    @property
    def reasoning(self) -> str:
        return "".join(s.text for s in self.steps if s.kind == "reasoning")

    def tool_calls(self) -> list[ScriptedToolCall]:
        calls: dict[int, ScriptedToolCall] = {}
        for s in self.steps:
            if s.kind == "tool_start":
                calls[s.tool_index] = ScriptedToolCall(s.tool_id, s.text, "")
            elif s.kind == "tool_args":
                calls[s.tool_index].arguments += s.text
        return [calls[i] for i in sorted(calls)]


def plan(script: Script, max_tokens: int | None = None, stop: list[str] | None = None) -> Plan:
    """Cut the script into tokens, then apply stop sequences and the max_tokens budget.

    Every step costs its tokens: a reasoning/content/argument piece is one token, a tool call's
    start costs the tokens of its name. completion_tokens is the sum of what is actually sent.
    """
    content = script.content
    tool_calls = script.tool_calls
    finish = script.finish_reason
    if stop and content:
        cut = min((i for i in (content.find(s) for s in stop if s) if i >= 0), default=-1)
        if cut >= 0:
            content, tool_calls, finish = content[:cut], [], "stop"

    steps = [Step("reasoning", t) for t in tokenize(script.reasoning)]
    steps += [Step("content", t) for t in tokenize(content)]
    for index, call in enumerate(tool_calls):
        steps.append(Step("tool_start", call.name, index, call.id))
        steps += [Step("tool_args", t, index) for t in tokenize(call.arguments)]

    def cost(step: Step) -> int:
        return count_tokens(step.text) if step.kind == "tool_start" else 1

    budget = max_tokens if max_tokens is not None and max_tokens > 0 else None
    used = 0
    kept: list[Step] = []
    for step in steps:
        if budget is not None and used + cost(step) > budget:
            finish = "length"
            break
        kept.append(step)
        used += cost(step)
    reasoning_tokens = sum(1 for s in kept if s.kind == "reasoning")
    return Plan(kept, finish, used, reasoning_tokens)


# ---------------------------------------------------------------- reading the request


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message)
    return ""


def _digest(*parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _pick(options: tuple[str, ...], key: str) -> str:
    """A deterministic choice among phrasings, so replies vary by prompt but never by run."""
    return options[int(_digest(key)[:8], 16) % len(options)]


_UNSAFE = re.compile(r"[`*_\[\]<>#|\\~]")


_REQUEST_PREFIX = re.compile(
    r"^(?:(?:(?:please|can you|could you|would you)\s+)*"
    r"(?:show|give|write|make)(?: me| us)?\s+(?:a|an|some)\s+"
    r"(?:(?:short|small|quick|simple)\s+)?"
    r"(?:(?:python|javascript|typescript|rust|go|bash|shell|sql)\s+)?"
    r"(?:examples?|snippets?|code)\s+(?:of|for)\s+)?",
    re.IGNORECASE,
)


def topic_of(text: str, limit: int = 80, *, markdown: bool = True) -> str:
    """The prompt's first line, single-spaced and printable, for echoing it back.

    With markdown=True (echoing into a Markdown reply) Markdown syntax characters are escaped, so
    `temp_c` stays `temp_c` on screen instead of turning into emphasis.
    """
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join("".join(ch for ch in line if ch.isprintable()).split())
    line = line.strip(" ?.!,:;")
    # "Can you show me a Python example of reading a file?" -> "reading a file": the echo reads
    # like a reply rather than a parrot.
    topic = _REQUEST_PREFIX.sub("", line).strip(" ?.!,:;")
    if len(topic) >= 3:
        line = topic[0].upper() + topic[1:] if line[:1].isupper() else topic
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    if markdown:
        line = _UNSAFE.sub(r"\\\g<0>", line)
    return line or "your message"


def _functions(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The well-formed function definitions among the request's tools."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    functions = [t.get("function") for t in tools if isinstance(t, dict)]
    return [f for f in functions if isinstance(f, dict) and isinstance(f.get("name"), str)]


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [f["name"] for f in _functions(body)]


def _tool_schema(body: dict[str, Any], name: str) -> dict[str, Any]:
    for function in _functions(body):
        if function["name"] == name:
            params = function.get("parameters")
            return params if isinstance(params, dict) else {}
    return {}


# ---------------------------------------------------------------- tool calls

_CITY_STOP_WORDS = {"today", "tomorrow", "now", "right", "please", "currently", "this", "week"}


def cities_in(text: str) -> list[str]:
    """The (at most two) cities a weather prompt asks about: "weather in Paris and Tokyo"."""
    lower = text.lower()
    start = lower.find("weather")
    tail = text[start:] if start >= 0 else text
    match = re.search(r"\b(?:in|for|at|of)\s+([^?.!\n]+)", tail, re.IGNORECASE)
    if not match:
        return ["Paris"]
    cities: list[str] = []
    for part in re.split(r"\s*(?:,|&|\band\b|\bor\b|\bvs\.?|\bversus\b)\s*", match.group(1)):
        words = [
            w for w in re.findall(r"[^\W\d_][\w'-]*", part) if w.lower() not in _CITY_STOP_WORDS
        ]
        if words:
            cities.append(" ".join(w if w[0].isupper() else w.capitalize() for w in words[:3]))
    return cities[:2] or ["Paris"]


def _weather_arguments(schema: dict[str, Any], city: str) -> dict[str, Any]:
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return {"city": city, "unit": "celsius"}
    key = next((k for k in ("city", "location", "place", "town") if k in props), "city")
    arguments: dict[str, Any] = {key: city}
    if "unit" in props:
        arguments["unit"] = "celsius"
    return arguments


def _example_value(name: str, spec: Any, topic: str) -> Any:
    kind = spec.get("type") if isinstance(spec, dict) else None
    if isinstance(spec, dict) and isinstance(spec.get("enum"), list) and spec["enum"]:
        return spec["enum"][0]
    if kind in ("integer", "number"):
        return 3
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if name.lower() in ("city", "location", "place"):
        return "Paris"
    return topic


def _synth_arguments(schema: dict[str, Any], topic: str) -> dict[str, Any]:
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {}
    required = schema.get("required")
    names = [n for n in required if n in props] if isinstance(required, list) else list(props)
    return {n: _example_value(n, props[n], topic) for n in names}


def _call_id(body: dict[str, Any], index: int) -> str:
    return "call_" + _digest(body.get("messages"), index)[:24]


def _forced_tool(choice: Any, names: list[str]) -> str | None:
    """The tool that tool_choice demands: a named function, or any tool for "required"."""
    if isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        return name if name in names else None
    if choice == "required":
        return next((n for n in names if "weather" in n.lower()), names[0])
    return None


_CALCULATION = re.compile(
    r"[-+(]*\s*\d+(?:\.\d+)?"
    r"(?:\s*\)*\s*(?:\*\*|//|[-+*/%^×÷])\s*[-+(]*\s*\d+(?:\.\d+)?\s*\)*)+"
)
_CALCULATION_WORDS = re.compile(
    r"\b(calculate|compute|evaluate|work out|what is|what's|whats|how much|solve)\b"
)
_TIME_QUESTION = re.compile(
    r"\b(what time|the time|time is it|current time|clock|time now|what'?s the date|"
    r"today'?s date|what day is it)\b"
)


def calculation_in(text: str) -> str | None:
    """The arithmetic a prompt asks for ("what is 17 * (3 + 4)?" -> "17 * (3 + 4)"), or None.

    Only when the prompt asks (or is nothing but the expression): "I have 2-3 apples" is not a
    calculation. ^ x and ÷ are written the way Python arithmetic spells them.
    """
    match = _CALCULATION.search(text)
    if match is None:
        return None
    expression = match.group().strip()
    while expression.count("(") > expression.count(")") and expression.startswith("("):
        expression = expression[1:].lstrip()
    while expression.count(")") > expression.count("(") and expression.endswith(")"):
        expression = expression[:-1].rstrip()
    if expression.count("(") != expression.count(")"):
        return None
    rest = (text[: match.start()] + text[match.end() :]).strip(" ?.!=\n\t")
    if rest and not _CALCULATION_WORDS.search(text.lower()):
        return None
    return expression.replace("^", "**").replace("×", "*").replace("÷", "/")


def _tool_named_like(names: list[str], suffix: str) -> str | None:
    return next((n for n in names if n.lower().endswith(suffix)), None)


def _first_property(schema: dict[str, Any], preferred: tuple[str, ...]) -> str:
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return preferred[0]
    return next((k for k in preferred if k in props), next(iter(props)))


def _tool_call_script(body: dict[str, Any], user_text: str) -> Script | None:
    """Tool calls when the request offers tools and the prompt asks for weather, a calculation
    or the time (tools whose names end in weather / calculate / clock, e.g. the demo MCP
    server's `demo__weather`), or names a tool."""
    names = _tool_names(body)
    if not names or body.get("tool_choice") == "none":
        return None
    lower = user_text.lower()
    named = [n for n in names if n.lower() in lower or n.lower().replace("_", " ") in lower]
    forced = _forced_tool(body.get("tool_choice"), names)
    if forced and forced not in named and "weather" not in forced.lower():
        named = [forced]
    weather_tool = next((n for n in names if n == "get_weather"), None) or next(
        (n for n in names if "weather" in n.lower()), None
    )
    calls: list[ScriptedToolCall] = []

    def add(name: str, arguments: dict[str, Any]) -> None:
        text = json.dumps(arguments, ensure_ascii=False)
        calls.append(ScriptedToolCall(_call_id(body, len(calls)), name, text))

    if weather_tool and ("weather" in lower or weather_tool in named or forced == weather_tool):
        schema = _tool_schema(body, weather_tool)
        for city in cities_in(user_text):
            add(weather_tool, _weather_arguments(schema, city))
    elif named:
        for name in named[:2]:
            schema = _tool_schema(body, name)
            add(name, _synth_arguments(schema, topic_of(user_text, markdown=False)))
    calculator = _tool_named_like(names, "calculate")
    expression = calculation_in(user_text) if calculator else None
    if calculator and expression and calculator not in (c.name for c in calls):
        key = _first_property(_tool_schema(body, calculator), ("expression", "expr", "input"))
        add(calculator, {key: expression})
    clock = _tool_named_like(names, "clock")
    if clock and _TIME_QUESTION.search(lower) and clock not in (c.name for c in calls):
        add(clock, {})
    if not calls:
        return None
    return Script(tool_calls=calls, finish_reason="tool_calls")


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, dict) else None


def _pending_tool_results(messages: list[Any]) -> list[tuple[str, dict[str, Any], str]]:
    """When the conversation ends with tool results: (tool name, its arguments, result text)."""
    results: list[dict[str, Any]] = []
    index = len(messages) - 1
    while index >= 0 and _role(messages[index]) == "tool":
        results.insert(0, messages[index])
        index -= 1
    if not results:
        return []
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    if index >= 0 and isinstance(messages[index], dict):
        tool_calls = messages[index].get("tool_calls")
        for call in tool_calls if isinstance(tool_calls, list) else []:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict):
                continue
            try:
                arguments = json.loads(function.get("arguments") or "{}")
            except (TypeError, ValueError):
                arguments = {}
            calls[str(call.get("id"))] = (
                str(function.get("name") or "tool"),
                arguments if isinstance(arguments, dict) else {},
            )
    out = []
    for result in results:
        name, arguments = calls.get(str(result.get("tool_call_id")), ("tool", {}))
        out.append((name, arguments, message_text(result)))
    return out


_TEMPERATURE_KEYS = ("temperature", "temp", "temp_c", "temperature_c")


def _describe_result(text: str) -> tuple[str, float | None]:
    """A one-line description of a tool result, and its temperature when it has one."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and data:
        temperature = next(
            (data[k] for k in _TEMPERATURE_KEYS if isinstance(data.get(k), int | float)),
            None,
        )
        shown = ", ".join(f"{k}: {v}" for k, v in data.items() if k not in ("city", "location"))
        return topic_of(shown, 200), float(temperature) if temperature is not None else None
    return topic_of(text, 200), None


def _result_line(name: str, arguments: dict[str, Any], text: str) -> tuple[str, float | None]:
    """The answer's line for one tool result, and a temperature to compare when there is one."""
    lower = name.lower()
    if lower.endswith("calculate") and arguments:
        expression = topic_of(str(next(iter(arguments.values()))), 80)
        return f"- **{expression}** = {topic_of(text, 200)}", None
    if lower.endswith("clock"):
        return f"- The time is **{topic_of(text, 80)}** (UTC)", None
    label = topic_of(str(arguments.get("city") or arguments.get("location") or name), 40)
    description, temperature = _describe_result(text)
    return f"- **{label}**: {description}", temperature


def _tool_answer(results: list[tuple[str, dict[str, Any], str]]) -> Script:
    lines = ["Here is what the tools returned:", ""]
    temperatures: list[tuple[str, float]] = []
    for name, arguments, text in results:
        line, temperature = _result_line(name, arguments, text)
        lines.append(line)
        if temperature is not None:
            label = str(arguments.get("city") or arguments.get("location") or name)
            temperatures.append((topic_of(label, 40), temperature))
    lines.append("")
    if len(temperatures) >= 2:
        warm = max(temperatures, key=lambda t: t[1])
        cold = min(temperatures, key=lambda t: t[1])
        if warm[1] == cold[1]:
            lines.append(f"Both places are at {warm[1]:g} degrees right now.")
        else:
            lines.append(
                f"{warm[0]} is the warmer one, {warm[1] - cold[1]:g} degrees above {cold[0]}."
            )
    elif temperatures:
        lines.append(f"So it is {temperatures[0][1]:g} degrees in {temperatures[0][0]} right now.")
    else:
        lines.append("That is everything the tools reported.")
    lines.append("")
    lines.append("*(Scripted by the offline demo: the numbers come from your tool results.)*")
    return Script(content="\n".join(lines))


# ---------------------------------------------------------------- plain replies

_LANGUAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("javascript", ("javascript", " js", "node", "typescript")),
    ("rust", ("rust",)),
    ("go", ("golang", " go ")),
    ("bash", ("bash", "shell", "command line")),
    ("sql", ("sql", "query", "database")),
    ("python", ("python",)),
)

_LANGUAGE_NAMES = {
    "javascript": "JavaScript",
    "rust": "Rust",
    "go": "Go",
    "bash": "shell",
    "sql": "SQL",
    "python": "Python",
}

_SNIPPETS = {
    "python": (
        "def word_counts(text: str) -> dict[str, int]:\n"
        '    """Count how often each word appears."""\n'
        "    counts: dict[str, int] = {}\n    for word in text.lower().split():\n"
        "        counts[word] = counts.get(word, 0) + 1\n    return counts\n\n\n"
        'print(word_counts("the quick brown fox jumps over the lazy dog"))'
    ),
    "javascript": (
        "function wordCounts(text) {\n  const counts = new Map();\n"
        "  for (const word of text.toLowerCase().split(/\\s+/)) {\n"
        "    counts.set(word, (counts.get(word) ?? 0) + 1);\n  }\n  return counts;\n}\n\n"
        'console.log(wordCounts("the quick brown fox jumps over the lazy dog"));'
    ),
    "rust": (
        "use std::collections::HashMap;\n\n"
        "fn word_counts(text: &str) -> HashMap<String, usize> {\n"
        "    let mut counts = HashMap::new();\n"
        "    for word in text.split_whitespace() {\n"
        "        *counts.entry(word.to_lowercase()).or_insert(0) += 1;\n    }\n    counts\n}"
    ),
    "go": (
        "func wordCounts(text string) map[string]int {\n\tcounts := map[string]int{}\n"
        "\tfor _, word := range strings.Fields(strings.ToLower(text)) {\n\t\tcounts[word]++\n\t}\n"
        "\treturn counts\n}"
    ),
    "bash": (
        "tr -s '[:space:]' '\\n' < notes.txt | tr '[:upper:]' '[:lower:]' \\\n"
        "  | sort | uniq -c | sort -rn | head"
    ),
    "sql": (
        "SELECT word, COUNT(*) AS uses\nFROM words\nGROUP BY word\nORDER BY uses DESC\nLIMIT 10;"
    ),
}

_RECIPES_PY = {
    "reverse": (
        'def reverse(text: str) -> str:\n    return text[::-1]\n\n\nassert reverse("abc") == "cba"'
    ),
    "fibonacci": (
        "def fibonacci(n: int) -> list[int]:\n    a, b, out = 0, 1, []\n    for _ in range(n):\n"
        "        out.append(a)\n        a, b = b, a + b\n    return out\n\n\nprint(fibonacci(10))"
    ),
    "prime": (
        "def primes(limit: int) -> list[int]:\n    sieve = [True] * (limit + 1)\n"
        "    sieve[0:2] = [False, False]\n    for n in range(2, int(limit**0.5) + 1):\n"
        "        if sieve[n]:\n            sieve[n * n :: n] = [False] * len(sieve[n * n :: n])\n"
        "    return [n for n, ok in enumerate(sieve) if ok]\n\n\nprint(primes(50))"
    ),
    "sort": (
        "def merge_sort(items: list[int]) -> list[int]:\n"
        "    if len(items) <= 1:\n        return items\n"
        "    mid = len(items) // 2\n"
        "    left, right = merge_sort(items[:mid]), merge_sort(items[mid:])\n"
        "    merged = []\n    while left and right:\n"
        "        merged.append((left if left[0] <= right[0] else right).pop(0))\n"
        "    return merged + left + right"
    ),
}

_CODE_WORDS = re.compile(
    r"\b(code|function|script|program|snippet|implement|regex|algorithm|one-liner)\b"
    r"|\b(in|a|an|some) (python|javascript|typescript|rust|go|golang|bash|shell|sql)\b"
    r"|\b(python|javascript|typescript|rust|golang|bash|sql) examples?\b"
)
_GREETING = re.compile(r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))\b")
_HELP = re.compile(r"\b(help|what can you do|which models|what models|faults?|demo)\b")
_LIST = re.compile(r"\b(ideas|tips|steps|list|suggest\w*|ways|reasons)\b")
_TABLE = re.compile(r"\b(compare|comparison|table|versus|vs|difference)\b")


def _code_reply(text: str, topic: str) -> str:
    lower = " " + text.lower() + " "
    language = next((lang for lang, keys in _LANGUAGES if any(k in lower for k in keys)), "python")
    recipe = next((_RECIPES_PY[k] for k in _RECIPES_PY if k in lower), None)
    snippet = recipe if recipe and language == "python" else _SNIPPETS[language]
    shown = _LANGUAGE_NAMES.get(language, language)
    opener = _pick(
        (
            f"Sure! Here is a small {shown} example for **{topic}**:",
            f"Here's a compact {shown} sketch for **{topic}**:",
            f"Happy to help. A short {shown} version of **{topic}**:",
        ),
        text,
    )
    return (
        f"{opener}\n\n```{language}\n{snippet}\n```\n\n"
        "A few notes:\n\n"
        "- It keeps to the standard library, so it runs anywhere.\n"
        "- The names say what each part does; there is nothing clever hidden in it.\n"
        "- Add a couple of tests before you rely on it.\n\n"
        "Want me to explain any line, or adapt it to your data?"
    )


def _greeting_reply(text: str) -> str:
    hello = _pick(("Hello!", "Hi there!", "Hey!"), text)
    return (
        f"{hello} I'm the **tensorx-chat offline demo**: a scripted model running on your own "
        "machine, so no API key and no network are needed.\n\n"
        "A few things to try:\n\n"
        '- Ask for **code**: "write a Python function that reverses a string"\n'
        "- Ask about the **weather** in a city; with tools enabled I call `get_weather`\n"
        "- Switch to `demo-reasoner` to watch reasoning stream before the answer\n"
        "- Switch to `demo-long` for a document of about 20,000 tokens\n"
        "- Try a `demo-fault-*` model to see how the client copes with errors\n\n"
        "What would you like to explore?"
    )


def _help_reply() -> str:
    return (
        "This is the **offline demo server**. Every reply is scripted, and the same prompt always "
        "gets the same answer.\n\n"
        "| Model | What it shows |\n|---|---|\n"
        "| `demo` | Conversational replies, code blocks, weather tool calls |\n"
        "| `demo-reasoner` | Reasoning streamed before the answer |\n"
        "| `demo-long` | About 20,000 tokens of Markdown |\n"
        "| `demo-fault-429` | Rate limited once, then succeeds on retry |\n"
        "| `demo-fault-500` | A server error before the stream starts |\n"
        "| `demo-fault-drop` | The connection drops mid-stream |\n"
        "| `demo-fault-error-event` | An error event mid-stream |\n"
        "| `demo-fault-keepalive` | Only keep-alive comments, no tokens |\n"
        "| `demo-fault-slow` | A normal reply at about 5 tokens per second |\n"
        "| `demo-fault-filter` | A reply stopped by the content filter |\n\n"
        "Ask me anything, or pick a model to see what happens."
    )


def _list_reply(text: str, topic: str) -> str:
    opener = _pick(
        (f"Here are five ideas about **{topic}**:", f"Five things worth trying for **{topic}**:"),
        text,
    )
    return (
        f"{opener}\n\n"
        "1. **Start small.** Pick the simplest version that could possibly work.\n"
        "2. **Write it down.** A short note beats a long memory.\n"
        '3. **Measure.** Decide what "better" means before you change anything.\n'
        "4. **Ask someone.** A second pair of eyes finds what the first one skipped.\n"
        "5. **Iterate.** Small steps, checked often, add up quickly.\n\n"
        "Shall I expand on one of them?"
    )


_COMPARED = re.compile(
    r"(?:compare|comparing|between|difference between)\s+(.+?)\s+(?:and|vs\.?|versus|or|with|to)"
    r"\s+(.+)",
    re.IGNORECASE,
)


def _compared(text: str) -> tuple[str, str]:
    """The two things a comparison prompt names ("compare tea and coffee"), or A and B."""
    match = _COMPARED.search(text) or re.search(
        r"(\S+(?:\s\S+)?)\s+(?:vs\.?|versus)\s+(.+)", text, re.IGNORECASE
    )
    if not match:
        return "Option A", "Option B"
    first, second = (topic_of(g, 30).removeprefix("the ") for g in match.groups())
    return first[:1].upper() + first[1:], second[:1].upper() + second[1:]


def _table_reply(text: str, topic: str) -> str:
    a, b = _compared(text)
    title = f"**{topic}**" if a == "Option A" else f"**{a}** and **{b}**"
    return (
        f"A quick comparison of {title}:\n\n"
        f"| Aspect | {a} | {b} |\n|---|---|---|\n"
        "| Speed | Fast to start | Faster at scale |\n"
        "| Simplicity | Very simple | More moving parts |\n"
        "| Cost | Low | Medium |\n\n"
        f"In short: start with **{a}**, and move to **{b}** when the numbers tell you to."
    )


def _general_reply(text: str, topic: str, turn: int) -> str:
    opener = _pick(
        (
            f"Good question! You asked about **{topic}**.",
            f"Let's talk about **{topic}**.",
            f"Thanks for asking about **{topic}**.",
        ),
        text,
    )
    follow = " Picking up where we left off," if turn > 1 else ""
    return (
        f"{opener}{follow} I'm the offline demo, so my answer is scripted rather than "
        "thought through, but here is how I would approach it:\n\n"
        "- **Clarify the goal**: what would a good outcome look like?\n"
        "- **Gather the facts**: a few reliable sources beat many loose ones.\n"
        "- **Try the simplest thing** and see what it teaches you.\n\n"
        "Point `tensorx-chat` at a real model for a real answer. Meanwhile, ask me for code, a "
        "list, a comparison table or the weather to see how replies render."
    )


def _weather_without_tools(text: str) -> str:
    places = " and ".join(f"**{topic_of(c, 40)}**" for c in cities_in(text))
    return (
        f"I'd love to tell you the weather in {places}, but I'm the offline demo and this "
        "request offered me no tools, so I have no way to look it up.\n\n"
        "When the request carries a `get_weather` tool, I answer with one tool call per city "
        "(two run in parallel), and once the results come back I summarise them for you."
    )


def _reply_text(messages: list[Any]) -> str:
    text = _last_user_text(messages)
    lower = text.lower()
    topic = topic_of(text)
    turn = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "user")
    if not text.strip():
        return "I didn't catch a question there. What would you like to talk about?"
    if _CODE_WORDS.search(lower):
        return _code_reply(text, topic)
    if "weather" in lower:
        return _weather_without_tools(text)
    if _GREETING.search(lower):
        return _greeting_reply(text)
    if _TABLE.search(lower):
        return _table_reply(text, topic)
    if _LIST.search(lower):
        return _list_reply(text, topic)
    if _HELP.search(lower):
        return _help_reply()
    return _general_reply(text, topic, turn)


def _reasoning_for(messages: list[Any], script: Script) -> str:
    topic = topic_of(_last_user_text(messages))
    if script.tool_calls:
        plan_line = (
            f"I have tools available, and {len(script.tool_calls)} call(s) to "
            f"`{script.tool_calls[0].name}` will give me real data to answer with."
        )
    else:
        plan_line = "A short, structured answer works best in a terminal: a list, short paragraphs."
    return (
        f'The user wrote: "{topic}". Let me think about what they actually need.\n\n'
        f"{plan_line}\n\n"
        "I am the offline demo, so I should be clear that my reply is scripted and not pretend "
        "to know anything live.\n\n"
        "Okay, I'll write the answer now."
    )


def _filtered(messages: list[Any]) -> Script:
    topic = topic_of(_last_user_text(messages))
    return Script(
        content=f"I started writing about **{topic}**, but the demo's scripted content filter",
        finish_reason="content_filter",
    )


def _slow(script: Script) -> Script:
    """Make a reply long enough to stream for 30 s or more at 5 tokens/s."""
    if script.tool_calls:
        return script
    filler = (
        "\n\nThis reply is deliberately slow: the `demo-fault-slow` model streams about five "
        "tokens per second, so you can watch the client stay responsive while it waits. "
        "Try scrolling, typing your next message or cancelling the reply."
    )
    content = script.content
    while count_tokens(content) < SLOW_MIN_TOKENS:
        content += filler
    return Script(content=content, reasoning=script.reasoning, finish_reason=script.finish_reason)


def script_for(model: str, body: dict[str, Any]) -> Script:
    """The scripted reply for a (known) model and request body.

    Fault behaviour (429, 500, drops, keep-alives) belongs to the server; here the fault models
    are just `demo` (except demo-fault-filter, and demo-fault-slow which is made long).
    """
    messages = body.get("messages") or []
    if model == DEMO_LONG:
        return Script(content=long_document())
    user_text = _last_user_text(messages)
    if model == DEMO_FILTER or re.search(rf"\b{FILTER_WORD}\b", user_text.lower()):
        return _filtered(messages)

    results = _pending_tool_results(messages)
    attached = attachments_reply(messages[-1]) if messages and not results else None
    if results:
        script = _tool_answer(results)
    elif attached:
        script = Script(content=attached)
    else:
        script = _tool_call_script(body, user_text) or Script(content=_reply_text(messages))
    if model == DEMO_REASONER:
        script.reasoning = _reasoning_for(messages, script)
    if model == "demo-fault-slow":
        script = _slow(script)
    return script

"""`tensorx-chat history`, `export` and `import` on the command line."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tensorx_tui.cli.main import main
from tensorx_tui.core.reply import Reply, ReplyState
from tensorx_tui.store.conversations import Store

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("TENSORX_DATA_DIR", str(directory))
    monkeypatch.setenv("TENSORX_CONFIG", os.devnull)
    return directory


def seed(data_dir: Path) -> tuple[str, str]:
    with Store.open(data_dir) as store:
        old = store.create_conversation(model="qwen/qwen3-235b-a22b-2507")
        store.add_user_message(old, "Explain the platypus")
        store.add_reply(old, Reply(content="A monotreme.", state=ReplyState.COMPLETE))
        new = store.create_conversation(model="deepseek/deepseek-chat-v3.1")
        store.add_user_message(new, "\x1b]0;evil title\x07 about WAL mode")
    return old, new


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_empty(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "history") == (0, "", "tensorx-chat: no saved conversations\n")
    assert run(capsys, "history", "--json") == (0, "[]\n", "")
    assert run(capsys, "export", "abc") == (1, "", "tensorx-chat: no conversation 'abc'\n")
    assert not data_dir.exists()  # reading created nothing


def test_history_lists_newest_first(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = seed(data_dir)
    code, out, _ = run(capsys, "history")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["ID", "UPDATED", "MSGS", "MODEL", "COST", "TITLE"]
    assert [line.split()[0] for line in lines] == [new, old]
    assert "Explain the platypus" in lines[1] and "qwen/qwen3-235b-a22b-2507" in lines[1]
    # The header names the columns where they are.
    assert lines[1][header.index("TITLE") :] == "Explain the platypus"
    assert lines[1][header.index("MODEL") :].startswith("qwen/")
    assert lines[1][header.index("MSGS") : header.index("MSGS") + 4] == "   2"
    assert "\x1b" not in out and "\x07" not in out  # the title's escape sequence is neutralised


def test_history_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = seed(data_dir)
    code, out, _ = run(capsys, "history", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["id"] for r in rows] == [new, old]
    assert rows[1]["title"] == "Explain the platypus"
    assert rows[1]["messages"] == 2
    assert rows[1]["model"] == "qwen/qwen3-235b-a22b-2507"
    assert rows[1]["updated_at"].endswith("+00:00")
    assert len(json.loads(run(capsys, "history", "--json", "-n", "1")[1])) == 1


def test_history_search(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, _new = seed(data_dir)
    code, out, _ = run(capsys, "history", "--search", "monotr*", "--json")
    assert code == 0
    (hit,) = json.loads(out)
    assert hit["id"] == old and hit["snippet"] == "A monotreme."
    code, out, _ = run(capsys, "history", "--search", "monotr*")
    assert out.splitlines()[2].strip() == "A monotreme."
    assert run(capsys, "history", "--search", '"unclosed AND (')[0] == 0


def test_export_markdown_to_stdout_by_prefix(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = seed(data_dir)
    code, out, err = run(capsys, "export", old[:5])
    assert (code, err) == (0, "")
    assert out.startswith("# Explain the platypus\n")
    assert "## Assistant\n\nA monotreme." in out


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_export_to_a_terminal_neutralises_escapes_but_a_pipe_gets_them_exact(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    # A saved reply's OSC 52 / title / clear-screen sequences reached the terminal verbatim.
    hostile = "A\x1b]52;c;ZXZpbA==\x07 B\x1b[2J C\x9b31m D\u202eE"
    with Store.open(data_dir) as store:
        conv = store.create_conversation(model="m")
        store.add_user_message(conv, "hi")
        store.add_reply(conv, Reply(content=hostile, state=ReplyState.COMPLETE))
    code, piped, _ = run(capsys, "export", conv, "--format", fmt)
    exact = hostile if fmt == "md" else json.dumps(hostile, ensure_ascii=False)[1:-1]
    assert code == 0 and exact in piped
    tty = _Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    assert main(["export", conv, "--format", fmt]) == 0
    shown = tty.getvalue()
    assert not any(c in shown for c in "\x1b\x07\x9b\u202e")
    assert "B" in shown and "D" in shown


def test_history_json_escapes_c1_and_bidi_controls_losslessly(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = "m\x9b2J \u202eevil"  # a model id comes from the user or the server's list
    with Store.open(data_dir) as store:
        conv = store.create_conversation(model=model)
        store.add_user_message(conv, "hi")
    code, out, _ = run(capsys, "history", "--json")
    assert code == 0 and "\x9b" not in out and "\u202e" not in out
    assert json.loads(out)[0]["model"] == model


def test_export_json_to_file_and_import(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = seed(data_dir)
    target = tmp_path / "t.json"
    code, out, err = run(capsys, "export", old, "-o", str(target))
    assert (code, out) == (0, "")
    assert err == f"tensorx-chat: wrote {target}\n"
    assert json.loads(target.read_text())["format"] == "tensorx-chat/1"

    other = tmp_path / "other"
    code, out, err = run(capsys, "import", str(target), "--data-dir", str(other))
    assert (code, out, err) == (0, f"{old}\n", "")
    code, out, _ = run(capsys, "export", old, "--format", "json", "--data-dir", str(other))
    assert out == target.read_text()

    code, out, err = run(capsys, "import", str(target))
    assert code == 0 and out.strip() != old
    assert "already taken" in err


def test_import_from_stdin(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('[{"role": "user", "content": "piped in"}]'))
    code, out, _ = run(capsys, "import", "-")
    assert code == 0
    with Store.open(data_dir) as store:
        assert store.get_summary(out.strip()).title == "piped in"


def test_errors_are_one_line_and_exit_1(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(data_dir)
    assert run(capsys, "export", "zzzz") == (1, "", "tensorx-chat: no conversation 'zzzz'\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": [{"role": "robot"}]}')
    code, out, err = run(capsys, "import", str(bad))
    assert (code, out) == (1, "")
    assert err.startswith(f"tensorx-chat: cannot import {bad}: messages[0].role: expected one of")
    code, _, err = run(capsys, "import", str(tmp_path / "missing.json"))
    assert code == 1 and "cannot read" in err
    code, _, err = run(capsys, "export", seed(data_dir)[0], "-o", str(tmp_path / "no" / "x.md"))
    assert code == 1 and "cannot write" in err


def test_export_format_follows_the_file_name(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = seed(data_dir)
    run(capsys, "export", old, "-o", str(tmp_path / "a.json"))
    run(capsys, "export", old, "-o", str(tmp_path / "a.md"))
    assert json.loads((tmp_path / "a.json").read_text())["conversation"]["id"] == old
    assert (tmp_path / "a.md").read_text().startswith("# ")


def test_history_does_not_load_textual(data_dir: Path) -> None:
    code = (
        "import sys; from tensorx_tui.cli.main import main;"
        " rc = main(['history', '--json']);"
        " assert rc == 0, rc; assert 'textual' not in sys.modules and 'rich' not in sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _unusable_data_dirs(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "conversations.db").write_bytes(b"this is not a database" * 100)
    truncated = tmp_path / "truncated"
    seed(truncated)
    db = truncated / "conversations.db"
    with Store.open(truncated):  # checkpoint the WAL into the file, then cut the file short
        pass
    for extra in ("conversations.db-wal", "conversations.db-shm"):
        (truncated / extra).unlink(missing_ok=True)
    db.write_bytes(db.read_bytes()[:5000])
    damaged = tmp_path / "damaged"
    seed(damaged)
    with sqlite3.connect(damaged / "conversations.db") as conn:  # a hand-edited row
        conn.execute("UPDATE messages SET usage = '{not json', state = 'weird'")
        conn.execute("UPDATE conversations SET updated_at = 'yesterday-ish'")
    return {
        "a file": a_file,
        "under a file": a_file / "data",
        "not a database": garbage,
        "truncated database": truncated,
        "damaged rows": damaged,
    }


@pytest.mark.parametrize(
    "kind", ["a file", "under a file", "not a database", "truncated database", "damaged rows"]
)
@pytest.mark.parametrize(
    "command", [["history"], ["history", "--search", "platypus"], ["export", "0"], ["import"]]
)
def test_an_unusable_data_dir_is_a_clear_error_not_a_crash(
    kind: str,
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = _unusable_data_dirs(tmp_path)[kind]
    monkeypatch.setenv("TENSORX_CONFIG", os.devnull)
    transcript = tmp_path / "t.json"
    transcript.write_text('{"messages": [{"role": "user", "content": "hi"}]}')
    argv = [*command, "--data-dir", str(data_dir)]
    if command == ["import"]:
        argv.append(str(transcript))
    if command[0] == "export":
        argv[1] = _any_id(data_dir)
    code, _, err = run(capsys, *argv)
    if kind == "damaged rows" and command[0] == "import":
        assert code == 0  # importing writes new rows; the damaged ones are not read
        return
    assert code == 1, err
    assert err.startswith("tensorx-chat: ") and len(err.splitlines()) == 1, err
    assert "unexpected error" not in err and "Traceback" not in err
    assert str(data_dir) in err or "damaged" in err or "database" in err


def _any_id(data_dir: Path) -> str:
    try:
        with sqlite3.connect(f"file:{data_dir / 'conversations.db'}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT id FROM conversations LIMIT 1").fetchone()
    except sqlite3.Error:
        return "0"
    return str(row[0]) if row else "0"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory")
def test_a_data_dir_without_permission_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TENSORX_CONFIG", os.devnull)
    locked = tmp_path / "locked"
    seed(locked / "data")
    locked.chmod(0)
    try:
        for command in (["history"], ["export", "0"]):
            code, _, err = run(capsys, *command, "--data-dir", str(locked / "data"))
            assert code == 1 and "unexpected error" not in err and str(locked) in err
    finally:
        locked.chmod(0o700)


TOO_DEEP = "the JSON is nested too deeply (more than 64 levels)"


@pytest.mark.parametrize("where", ["top", "message"])
def test_import_refuses_json_nested_100000_deep(
    where: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = deep if where == "top" else (
        '{"messages": [{"role": "user", "content": "hi", "tensorx": {"usage": {"x": '
        + deep + "}}}]}"
    )  # fmt: skip
    path = tmp_path / "deep.json"
    path.write_text(text)
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (1, "")
    assert err == f"tensorx-chat: cannot import {path}: {TOO_DEEP}\n"
    assert not data_dir.exists()  # nothing was saved

"""The shell front end: `tensorx-chat` and its commands (no textual unless the UI is opened).

`main.py` is the entry point and argparse; `shell.py` what every command shares; `ask.py` and
`ask_printer.py` one prompt printed for a shell; `models.py` the model list; `history.py`
`history` / `export` / `import`. Each command module is imported only when its command runs.
"""

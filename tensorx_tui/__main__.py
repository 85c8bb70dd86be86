"""`python -m tensorx_tui` runs the same entry point as `tensorx-chat`."""

from tensorx_tui.cli.main import main

raise SystemExit(main())

"""Streaming Markdown: a reply cut into top-level blocks, each closed block rendered once.

`block_stream` splits the growing text into closed blocks and an open tail (pure, no widgets);
`render` turns a block into rich renderables (links as text, raw HTML shown as text);
`streaming_view` is the widget (one, no children) that keeps closed blocks as lines rendered once
and re-renders only the tail, repainting only the lines that changed;
`layout_cache` holds the reaches into Textual's layout internals (pinned by tests).
"""

from tensorx_tui.ui.markdown.streaming_view import StreamingMarkdown

__all__ = ["StreamingMarkdown"]

"""Whether a model can see the images attached for it: one rule for `ask` and the chat UI.

Only a model whose metadata says it has no vision gets a warning; unknown means allowed (most
endpoints say nothing, and refusing them would refuse every local model).
"""

from __future__ import annotations

from collections.abc import Sequence

from tensorx_tui.core.attachments import Attachment
from tensorx_tui.core.model_info import ModelInfo
from tensorx_tui.core.sanitize import one_line


def images_in(attachments: Sequence[Attachment]) -> list[Attachment]:
    return [a for a in attachments if a.kind == "image"]


def vision_warning(
    attachments: Sequence[Attachment], model: str, info: ModelInfo | None
) -> str | None:
    """A warning to show before sending images to a model that says it cannot see, or None."""
    images = images_in(attachments)
    if not images or info is None or info.supports_vision is not False:
        return None
    what = "an image" if len(images) == 1 else f"{len(images)} images"
    return (
        f"{one_line(model, 120)} does not accept images (its model information says no vision); "
        f"{what} attached may be refused or ignored"
    )

"""The style sheet, scripts and icons, served from memory at addresses that name their content."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

STATIC = Path(__file__).parent / "static"


class Assets:
    """The style sheet, scripts and icon, read once and served from memory. Pages link them
    with a hash of their content (`/static/player.js?v=1a2b3c4d`), so a browser and the service
    worker may keep them for good: a new version has a new address."""

    TYPES: ClassVar[dict[str, str]] = {
        ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml",
        ".png": "image/png", ".webmanifest": "application/manifest+json",
    }  # fmt: skip
    ICON_SIZES = (192, 512)  # what phones ask for to put unknot on the home screen

    def __init__(self, folder: Path) -> None:
        import hashlib

        import cairosvg

        self.files = {
            path.name: path.read_bytes() for path in folder.iterdir() if path.suffix in self.TYPES
        }
        for size in self.ICON_SIZES:  # drawn from the one icon, not kept twice
            png = cairosvg.svg2png(self.files["icon.svg"], output_width=size, output_height=size)
            self.files[f"icon-{size}.png"] = png
        self.versions = {
            name: hashlib.sha256(data).hexdigest()[:10] for name, data in self.files.items()
        }
        self._responses: dict[tuple[str, str], Response] = {}

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self.versions[name]}"

    async def endpoint(self, request: Request) -> Response:
        return self.response(request.path_params["name"])

    def response(self, name: str, cache: str = "max-age=31536000, immutable") -> Response:
        if name not in self.files:
            return PlainTextResponse("not found", status_code=404)
        if (name, cache) not in self._responses:  # made once, sent as it is every time after
            kind = self.TYPES[Path(name).suffix]
            self._responses[name, cache] = Response(
                self.files[name], media_type=kind, headers={"Cache-Control": cache}
            )
        return self._responses[name, cache]

"""The phones (and other browsers) paired with `unknot serve --lan`, kept across restarts.

A device pairs once, by opening the link the server prints (its QR code), which carries this
run's pairing code. It is then given a secret of its own in a cookie, and the server keeps the
secret's SHA-256 (never the secret) in a small JSON file in the user's data folder, so the
device keeps working after a restart, with no new code to scan, until it is forgotten
(`unknot serve --forget-device`). The file is read again when it changes, so a device
forgotten from another terminal is refused by a server already running."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import unknot

SEEN_EVERY_SECONDS = 3600  # "last seen" is written at most this often a device
MOST_DEVICES = 64  # a household's phones, tablets and laptops, with room to spare
FILE_BYTES = 65_536  # 64 devices take ~14 KB


def default_path() -> Path:
    return unknot.data_dir() / "devices.json"


class Device(NamedTuple):
    id: str
    name: str
    paired: str  # ISO times, UTC
    seen: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def device_name(user_agent: str) -> str:
    """A browser's own words for what it runs on, short: "Chrome on Android", "Safari on iPhone"."""
    agent = user_agent.lower()
    system = next(
        (label for key, label in (("iphone", "iPhone"), ("ipad", "iPad"), ("android", "Android"),
         ("windows", "Windows"), ("mac os", "Mac"), ("cros", "ChromeOS"), ("linux", "Linux"))
         if key in agent),
        "a device",
    )  # fmt: skip
    browser = next(
        (label for key, label in (("firefox", "Firefox"), ("edg", "Edge"), ("chrome", "Chrome"),
         ("crios", "Chrome"), ("safari", "Safari"), ("curl", "curl")) if key in agent),
        "a browser",
    )  # fmt: skip
    return f"{browser} on {system}"


class Devices:
    """The paired devices in one file; safe to use from the server's threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._kept: dict[str, dict[str, str]] = {}

    # -- the file ----------------------------------------------------------------------------------
    def _load(self) -> dict[str, dict[str, str]]:
        """The devices as the file now says, read again only when it changed."""
        try:
            found = self.path.stat()
            stamp = found.st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):  # none paired yet
            self._stamp, self._kept = None, {}
            return self._kept
        except OSError as err:
            raise unknot.UnknotError(
                f"cannot be read ({err.strerror})", where=str(self.path),
                expected="a file unknot may read; delete it to pair again",
            ) from None  # fmt: skip
        if stamp != self._stamp:
            if not stat.S_ISREG(found.st_mode) or found.st_size > FILE_BYTES:
                raise unknot.UnknotError(
                    "is not a file of paired devices (not a regular file, or larger than "
                    f"{FILE_BYTES} bytes)", where=str(self.path),
                    expected="the file unknot wrote; delete it to pair again",
                )  # fmt: skip
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                kept = {
                    str(d["id"]): {k: str(d[k]) for k in ("id", "name", "digest", "paired", "seen")}
                    for d in data["devices"]
                }
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise unknot.UnknotError(
                    f"cannot be read ({err})", where=str(self.path),
                    expected="the paired devices as unknot wrote them; delete it to pair again",
                ) from None  # fmt: skip
            self._stamp, self._kept = stamp, kept
        return self._kept

    def _save(self, devices: dict[str, dict[str, str]]) -> None:
        """Written whole to a file beside it, then moved over it: a full disk or a kill leaves
        the old file as it was. Only the user may read it."""
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        text = json.dumps({"devices": list(devices.values())}, indent=1)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
            partial.replace(self.path)
        except OSError as err:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise unknot.UnknotError(
                f"cannot be written ({err.strerror})", where=str(self.path),
                expected="room on the disk and a folder unknot may write to",
            ) from None  # fmt: skip
        self._stamp, self._kept = self.path.stat().st_mtime_ns, devices

    # -- what the server asks ----------------------------------------------------------------------
    def pair(self, user_agent: str) -> str:
        """A new device: its cookie (its id and secret)."""
        secret = secrets.token_urlsafe(24)
        now = _now()
        with self._lock:
            devices = dict(self._load())
            if len(devices) >= MOST_DEVICES:
                raise unknot.UnknotError(
                    f"{len(devices)} devices are paired already", where=str(self.path),
                    expected="unknot serve --forget-device ID for one no longer used",
                )  # fmt: skip
            uid = secrets.token_hex(4)
            devices[uid] = {"id": uid, "name": device_name(user_agent), "digest": _digest(secret),
                            "paired": now, "seen": now}  # fmt: skip
            self._save(devices)
        return f"{uid}.{secret}"

    def known(self, cookie: str) -> bool:
        """Whether a device's cookie is of a device paired and not forgotten."""
        uid, _, secret = cookie.partition(".")
        if not secret or not cookie.isascii():
            return False
        with self._lock:
            try:
                device = self._load().get(uid)
            except unknot.UnknotError:
                return False  # an unreadable file pairs nobody (said by --devices)
            if device is None or not hmac.compare_digest(device["digest"], _digest(secret)):
                return False
            self._seen(uid)
        return True

    def _seen(self, uid: str) -> None:
        devices = self._kept
        since = datetime.now(UTC) - datetime.fromisoformat(devices[uid]["seen"])
        if since.total_seconds() < SEEN_EVERY_SECONDS:
            return
        # A disk that cannot take it loses only "last seen": the device is still known.
        with contextlib.suppress(unknot.UnknotError):
            self._save({**devices, uid: {**devices[uid], "seen": _now()}})

    # -- what the command line asks ----------------------------------------------------------------
    def listed(self) -> list[Device]:
        with self._lock:
            devices = self._load()
        return [Device(d["id"], d["name"], d["paired"], d["seen"]) for d in devices.values()]

    def forget(self, uid: str) -> Device:
        """Forget one device (its id as listed), or every one with "all"; returns what went."""
        with self._lock:
            devices = dict(self._load())
            if uid == "all":
                gone = Device("all", f"{len(devices)} devices", "", "")
                self._save({})
                return gone
            if uid not in devices:
                listed = ", ".join(devices) or "none are paired"
                raise unknot.UnknotError(
                    f"{uid!r} is not a paired device", field="--forget-device",
                    expected=f"an id from unknot serve --devices ({listed}), or all",
                )  # fmt: skip
            device = devices.pop(uid)
            self._save(devices)
        return Device(device["id"], device["name"], device["paired"], device["seen"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

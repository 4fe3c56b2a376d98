"""Fetching an article's page (`unknot.articles.fetch`), against real HTTP and HTTPS servers on
127.0.0.1 (ephemeral ports, `allow_private=True`), and, for every link that must be refused,
with no server at all: the refusal comes before any connection, which the tests check by
counting every socket connect and name lookup. No test reaches outside this machine: where a
link needs a public address, the lookup is patched to answer one and connecting to it fails.
"""

from __future__ import annotations

import datetime
import gzip
import http.server
import ipaddress
import socket
import ssl
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import GUARD
from unknot.articles import fetch as fetching
from unknot.articles.fetch import CHUNK, MAX_BYTES, MAX_UNPACKED_BYTES, Page, fetch
from unknot.errors import UnknotError

PAGE = (
    b"<!doctype html><html><head><title>Hips after a long run</title></head><body>"
    b"<h1>Hips after a long run</h1><h2>Low Lunge</h2><p>Thirty seconds each side.</p>"
    b"</body></html>"
)
PUBLIC = "93.184.215.14"  # what a patched lookup answers for a public name; never connected to

Handler = Callable[["Request"], None]


class Request(http.server.BaseHTTPRequestHandler):
    """One request to a `Site`: the route for its path answers it."""

    server: SiteServer

    def do_GET(self) -> None:
        site = self.server.site
        site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = site.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404, "Not Found")
            return
        route(self)

    def answer(
        self, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the test reads `site.requests` instead


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site) -> None:
        self.site = site
        super().__init__(("127.0.0.1", 0), Request)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.site.connections += 1  # one per TCP connection accepted
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up on a too-big body is what the test wants


class Site:
    """A local web server: routes by path, the headers of every request, connections counted."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0
        self.release = threading.Event()  # lets a stalled handler finish
        self.stalled = threading.Event()  # set by a handler once it has begun to stall
        self.server = SiteServer(self)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        serve = self.server.serve_forever
        self.thread = threading.Thread(target=serve, args=(0.02,), daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.close()


class Wire:
    """Every connect and name lookup the fetch makes (from any thread)."""

    def __init__(self) -> None:
        self.connects: list[Any] = []
        self.lookups: list[str] = []


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Counts connects and lookups, letting them through (tests patch further as they need)."""
    seen = Wire()
    real_connect = socket.socket.connect
    real_lookup = socket.getaddrinfo

    def connect(sock: socket.socket, address: Any) -> None:
        seen.connects.append(address)
        real_connect(sock, address)

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.lookups.append(str(host))
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return seen


def answers(mapping: dict[str, list[str]], seen: Wire) -> Callable[..., Any]:
    """A getaddrinfo that answers names from `mapping`, one lookup recorded each call."""

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        seen.lookups.append(str(host))
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        found = []
        for address in mapping[host]:
            if ":" in address:
                found.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                found.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return found

    return lookup


def refused(url: str, **kwargs: Any) -> str:
    with pytest.raises(UnknotError) as caught:
        fetch(url, **kwargs)
    line = str(caught.value)
    assert "\n" not in line
    return line


# --- A page, and what is sent for it --------------------------------------------------------


def test_a_page_is_fetched_with_its_type_and_charset(site: Site) -> None:
    site.routes["/page"] = lambda r: r.answer(PAGE, 'Text/HTML; Charset="UTF-8"')
    page = fetch(site.url("/page"), allow_private=True)
    assert page == Page(site.url("/page"), PAGE, "text/html", "utf-8")


def test_the_request_names_unknot_asks_for_text_and_sends_no_cookie(site: Site) -> None:
    site.routes["/page"] = lambda r: r.answer(PAGE)
    fetch(site.url("/page?q=hips#part"), allow_private=True)
    path, headers = site.requests[0]
    assert path == "/page?q=hips"  # the fragment stays in the browser, as it should
    assert "unknot" in headers["user-agent"]
    assert headers["host"] == f"127.0.0.1:{site.port}"
    assert headers["accept-encoding"] == "gzip, deflate"
    assert "cookie" not in headers


def test_a_non_ascii_path_is_percent_encoded(site: Site) -> None:
    site.routes["/yoga/%C3%BCbungen"] = lambda r: r.answer(PAGE)
    assert fetch(site.url("/yoga/übungen"), allow_private=True).body == PAGE


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate-zlib", "deflate-raw"])
def test_a_compressed_page_is_unpacked(site: Site, encoding: str) -> None:
    if encoding.endswith("gzip"):
        packed = gzip.compress(PAGE)
    else:
        raw = zlib.compressobj(wbits=-15 if encoding == "deflate-raw" else 15)
        packed = raw.compress(PAGE) + raw.flush()
    sent = encoding.split("-")[0] if encoding.startswith("deflate") else encoding
    site.routes["/page"] = lambda r: r.answer(packed, Content_Encoding=sent)
    assert fetch(site.url("/page"), allow_private=True).body == PAGE


def test_an_encoding_not_asked_for_is_refused(site: Site) -> None:
    site.routes["/page"] = lambda r: r.answer(b"\x00" * 10, Content_Encoding="br")
    assert "compressed as br, which unknot did not ask for" in refused(
        site.url("/page"), allow_private=True
    )


@pytest.mark.parametrize(
    "packed",
    [
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff not deflate at all",
        gzip.compress(PAGE)[:-20],  # cut short
        b"\x1f\x8b",
    ],
)
def test_a_broken_gzip_is_a_clear_error(site: Site, packed: bytes) -> None:
    site.routes["/page"] = lambda r: r.answer(packed, Content_Encoding="gzip")
    assert "sent a compressed page that cannot be unpacked" in refused(
        site.url("/page"), allow_private=True
    )


# --- Redirects ------------------------------------------------------------------------------


def chain(site: Site, hops: int) -> str:
    """/r/N redirects to /r/N-1 (a relative Location), and /r/1 to the page (an absolute one)."""
    site.routes["/page"] = lambda r: r.answer(PAGE)
    for n in range(1, hops + 1):
        to = site.url("/page") if n == 1 else f"/r/{n - 1}"
        site.routes[f"/r/{n}"] = lambda r, to=to, n=n: r.redirect(to, 301 if n % 2 else 307)
    return site.url(f"/r/{hops}")


def test_three_redirects_are_followed_to_the_page(site: Site) -> None:
    page = fetch(chain(site, 3), allow_private=True)
    assert page.body == PAGE
    assert page.url == site.url("/page")
    assert [path for path, _ in site.requests] == ["/r/3", "/r/2", "/r/1", "/page"]


def test_five_redirects_are_the_most_followed(site: Site) -> None:
    assert fetch(chain(site, 5), allow_private=True).body == PAGE
    line = refused(chain(site, 6), allow_private=True)
    assert "redirects more than 5 times" in line
    assert not any(path == "/page" for path, _ in site.requests[6:])


def test_a_redirect_loop_stops(site: Site) -> None:
    site.routes["/loop"] = lambda r: r.redirect("/loop")
    assert "redirects more than 5 times" in refused(site.url("/loop"), allow_private=True)
    assert len(site.requests) == 6


@pytest.mark.parametrize(
    ("location", "said"),
    [
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:127.0.0.1]:{port}/page", "::ffff:127.0.0.1 carries 127.0.0.1, a loopback"),
        ("http://0x7f000001:{port}/page", None),  # loopback by number: allowed in this test mode
        ("ftp://127.0.0.1/pub/file", "ftp: links are not web pages"),
        ("file:///etc/passwd", "file: links are not web pages"),
        ("http://user:secret@127.0.0.1:{port}/page", "the link carries a user name or password"),
    ],
)
def test_every_redirect_is_checked_before_connecting(
    site: Site, wire: Wire, location: str, said: str | None
) -> None:
    site.routes["/page"] = lambda r: r.answer(PAGE)
    site.routes["/away"] = lambda r: r.redirect(location.format(port=site.port))
    if said is None:
        assert fetch(site.url("/away"), allow_private=True).body == PAGE
        return
    line = refused(site.url("/away"), allow_private=True)
    assert f"redirected to {location.format(port=site.port)}: refused: {said}" in line
    assert site.connections == 1  # the redirect's target was never connected to
    assert len(wire.connects) == 1


def test_a_cookie_set_before_a_redirect_is_not_sent_back(site: Site) -> None:
    site.routes["/login"] = lambda r: r.redirect("/page", Set_Cookie="session=secret; Path=/")
    site.routes["/page"] = lambda r: r.answer(PAGE, Set_Cookie="other=1")
    fetch(site.url("/login"), allow_private=True)
    fetch(site.url("/page"), allow_private=True)
    assert [path for path, _ in site.requests] == ["/login", "/page", "/page"]
    assert all("cookie" not in headers for _, headers in site.requests)


def test_a_redirect_to_a_broken_link_is_a_clear_error(site: Site) -> None:
    site.routes["/odd"] = lambda r: r.redirect("http://[::1/page")
    line = refused(site.url("/odd"), allow_private=True)
    assert "redirects to http://[::1/page, which is not a link unknot can read" in line


def test_a_redirect_without_a_location_is_a_clear_error(site: Site) -> None:
    def nowhere(r: Request) -> None:
        r.send_response(302)
        r.end_headers()

    site.routes["/nowhere"] = nowhere
    assert "without saying where to" in refused(site.url("/nowhere"), allow_private=True)


# --- Size and time --------------------------------------------------------------------------


@pytest.fixture
def socket_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes the test's own thread (the fetch) reads from its sockets, per read."""
    reads: list[int] = []
    real = socket.socket.recv_into

    def recv_into(sock: socket.socket, buffer: Any, *args: Any) -> int:
        got = real(sock, buffer, *args)
        if threading.current_thread() is threading.main_thread():
            reads.append(got)
        return got

    monkeypatch.setattr(socket.socket, "recv_into", recv_into)
    return reads


def test_a_3_mb_body_stops_at_2_mb(site: Site, socket_reads: list[int]) -> None:
    def big(r: Request) -> None:  # no Content-Length: the fetch must count as it reads
        r.send_response(200)
        r.send_header("Content-Type", "text/html")
        r.end_headers()
        for _ in range(3_000_000 // CHUNK + 1):
            r.wfile.write(b"x" * CHUNK)

    site.routes["/big"] = big
    line = refused(site.url("/big"), allow_private=True)
    assert "is more than 2 MB, far more than any article" in line
    assert MAX_BYTES < sum(socket_reads) <= MAX_BYTES + 2 * CHUNK


def test_a_body_declared_too_long_is_refused_before_it_is_read(
    site: Site, socket_reads: list[int]
) -> None:
    site.routes["/big"] = lambda r: r.answer(b"x" * 3_000_000)
    assert "is more than 2 MB" in refused(site.url("/big"), allow_private=True)
    assert sum(socket_reads) < 2 * CHUNK


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """1 GiB of zeros as gzip (about 1 MB): one full-flushed 1 MiB block repeated, since
    compressing the whole gibibyte would take seconds."""
    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    # The last, empty, final block, then gzip's trailer: the CRC and the size mod 2**32.
    packed = first + block * 1023 + b"\x03\x00" + struct.pack("<II", crc, (1 << 30) % (1 << 32))
    assert len(packed) < MAX_BYTES  # so it is the unpacked cap that must stop it
    assert zlib.decompressobj(31).decompress(packed, 1 << 22) == bytes(1 << 22)
    return packed


def test_a_gzip_bomb_stops_quickly_in_bounded_memory(site: Site, bomb: bytes) -> None:
    site.routes["/bomb"] = lambda r: r.answer(bomb, Content_Encoding="gzip")
    tracemalloc.start()
    began = time.monotonic()
    try:
        line = refused(site.url("/bomb"), allow_private=True)
        took = time.monotonic() - began
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "unpacks to more than 8 MB" in line
    assert took < 5
    assert peak < MAX_UNPACKED_BYTES * 2  # the cap's worth, not the gibibyte


def test_a_server_that_stalls_after_its_headers_times_out(site: Site) -> None:
    def stall(r: Request) -> None:
        r.send_response(200)
        r.send_header("Content-Type", "text/html")
        r.send_header("Content-Length", "1000")
        r.end_headers()
        r.wfile.write(b"<html>")
        r.wfile.flush()
        site.stalled.set()
        site.release.wait(GUARD)

    site.routes["/stall"] = stall
    began = time.monotonic()
    line = refused(site.url("/stall"), allow_private=True, timeout=0.5)
    assert site.stalled.is_set()
    assert "did not answer within 0.5 s" in line
    assert time.monotonic() - began < 5


def test_a_server_that_drips_is_cut_off_at_the_whole_fetchs_deadline(site: Site) -> None:
    """No single read waits long, so only the deadline for the whole fetch can stop it."""

    def drip(r: Request) -> None:
        r.wfile.write(b"HTTP/1.1 200 OK\r\n")
        r.wfile.flush()
        while not site.release.wait(0.05):  # one header byte every 50 ms, for ever
            r.wfile.write(b"X")
            r.wfile.flush()

    site.routes["/drip"] = drip
    began = time.monotonic()
    line = refused(site.url("/drip"), allow_private=True, timeout=0.5)
    assert "did not answer within 0.5 s" in line
    assert time.monotonic() - began < 5


def test_a_lookup_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = threading.Event()

    def lookup(*args: Any, **kwargs: Any) -> Any:
        stuck.wait(GUARD)
        raise socket.gaierror("never")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    try:
        line = refused("https://slow.example/", timeout=0.3)
    finally:
        stuck.set()
    assert "did not answer within 0.3 s (still looking up slow.example)" in line


# --- What the site answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "said"),
    [
        ("image/png", "is image/png, not a web page"),
        ("application/pdf", "is application/pdf, not a web page"),
        ("application/octet-stream", "is application/octet-stream, not a web page"),
    ],
)
def test_a_type_that_is_not_text_is_refused_before_its_body(
    site: Site, socket_reads: list[int], content_type: str, said: str
) -> None:
    site.routes["/file"] = lambda r: r.answer(b"\x89PNG\r\n" + bytes(500_000), content_type)
    line = refused(site.url("/file"), allow_private=True)
    assert said in line
    assert "expected a link to an article's page (HTML or plain text)" in line
    assert sum(socket_reads) < 2 * CHUNK


@pytest.mark.parametrize("content_type", ["text/plain", "application/xhtml+xml", "text/markdown"])
def test_text_types_are_fetched(site: Site, content_type: str) -> None:
    site.routes["/doc"] = lambda r: r.answer(b"Child's Pose\n", content_type)
    assert fetch(site.url("/doc"), allow_private=True).content_type == content_type


def test_a_body_without_a_type_is_fetched_if_it_is_text(site: Site) -> None:
    def untyped(body: bytes) -> Handler:
        def send(r: Request) -> None:
            r.send_response(200)
            r.send_header("Content-Length", str(len(body)))
            r.end_headers()
            r.wfile.write(body)

        return send

    site.routes["/text"] = untyped(PAGE)
    site.routes["/binary"] = untyped(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert fetch(site.url("/text"), allow_private=True) == Page(site.url("/text"), PAGE, "", None)
    assert "is not text" in refused(site.url("/binary"), allow_private=True)


@pytest.mark.parametrize(("status", "said"), [(404, "404 Not Found"), (500, "500 Internal")])
def test_an_http_error_names_the_status(site: Site, status: int, said: str) -> None:
    site.routes["/broken"] = lambda r: r.send_error(status)
    line = refused(site.url("/broken"), allow_private=True)
    assert line.startswith(f"{site.url('/broken')}: the site answered {said}")
    assert "expected a link to a page that exists" in line


def test_a_missing_page_is_404(site: Site) -> None:
    assert "answered 404 Not Found" in refused(site.url("/no-such-page"), allow_private=True)


def test_a_refused_connection_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = refused(f"http://127.0.0.1:{port}/", allow_private=True)
    assert "the site refused the connection; expected a site that answers" in line


def test_a_name_that_does_not_resolve_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, wire: Wire
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", answers({}, wire))
    line = refused("https://no-such-site.example/yoga")
    assert "no site is found at no-such-site.example" in line
    assert "expected a link whose site name is spelt right" in line


def test_garbage_instead_of_http_is_a_clear_error(site: Site) -> None:
    site.routes["/junk"] = lambda r: r.wfile.write(b"\x16\x03\x01 not http\r\n\r\n") and None
    assert "the site sent a broken answer" in refused(site.url("/junk"), allow_private=True)


# --- HTTPS: pinned to the checked address, verified against the name ------------------------


class Authority:
    """A certificate authority of the test's own, and certificates it signs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unknot test CA")])
        self.cert = (
            self._builder(name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = folder / "ca.pem"
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def _builder(self, subject: x509.Name, key: Any) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unknot test CA")]))
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    def server(self, host: str) -> ssl.SSLContext:
        """A server's TLS context with a certificate for `host`, signed by this authority."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            self._builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), key.public_key()
            )
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_file, key_file = self.folder / f"{host}.pem", self.folder / f"{host}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch, authority: Authority) -> None:
    """The fetch trusts the test's authority (and, as always, checks names)."""

    def context() -> ssl.SSLContext:
        made = ssl.create_default_context(cafile=str(authority.pem))
        assert made.check_hostname and made.verify_mode == ssl.CERT_REQUIRED
        return made

    monkeypatch.setattr(fetching, "tls_context", context)


def tls_site(authority: Authority, host: str) -> Site:
    server = Site(authority.server(host))
    server.routes["/page"] = lambda r: r.answer(PAGE)
    return server


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    authority: Authority, trusting: None, monkeypatch: pytest.MonkeyPatch, wire: Wire
) -> None:
    server = tls_site(authority, "unknot.test")
    try:
        monkeypatch.setattr(socket, "getaddrinfo", answers({"unknot.test": ["127.0.0.1"]}, wire))
        page = fetch(server.url("/page", host="unknot.test", scheme="https"), allow_private=True)
    finally:
        server.close()
    assert page.body == PAGE
    assert wire.lookups == ["unknot.test"]  # one lookup: the connection made none of its own
    assert wire.connects == [("127.0.0.1", server.port)]
    assert server.requests[0][1]["host"] == f"unknot.test:{server.port}"


def test_https_with_a_certificate_for_another_name_is_refused(
    authority: Authority, trusting: None, monkeypatch: pytest.MonkeyPatch, wire: Wire
) -> None:
    server = tls_site(authority, "other.test")
    try:
        monkeypatch.setattr(socket, "getaddrinfo", answers({"unknot.test": ["127.0.0.1"]}, wire))
        line = refused(server.url("/page", host="unknot.test", scheme="https"), allow_private=True)
    finally:
        server.close()
    assert "its certificate could not be verified (Hostname mismatch" in line
    assert "expected an https site with a valid certificate for its name" in line
    assert server.requests == []


def test_https_with_an_untrusted_certificate_is_refused(authority: Authority) -> None:
    server = tls_site(authority, "127.0.0.1")
    try:  # the system's authorities, which have never heard of the test's
        line = refused(server.url("/page", scheme="https"), allow_private=True)
    finally:
        server.close()
    assert "its certificate could not be verified" in line


def test_a_name_is_looked_up_again_on_each_hop_and_checked_each_time(
    site: Site, monkeypatch: pytest.MonkeyPatch, wire: Wire
) -> None:
    """A name that answered 127.0.0.1 once and then a private address (rebinding) is refused
    on the hop that got the private answer, before connecting there."""
    replies = iter([["127.0.0.1"], ["10.0.0.7"]])

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return answers({"moving.test": next(replies)}, wire)(host, port)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    site.routes["/r"] = lambda r: r.redirect(site.url("/page", host="moving.test"))
    line = refused(site.url("/r", host="moving.test"), allow_private=True)
    assert "refused: moving.test is 10.0.0.7, a private address" in line
    assert wire.lookups == ["moving.test", "moving.test"]
    assert wire.connects == [("127.0.0.1", site.port)]


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch, wire: Wire
) -> None:
    monkeypatch.setattr(
        socket, "getaddrinfo", answers({"mixed.example": [PUBLIC, "fd00::1"]}, wire)
    )
    line = refused("https://mixed.example/")
    assert "refused: mixed.example is fd00::1, a private (unique local) address" in line
    assert wire.connects == []


# --- Links refused before any connection ----------------------------------------------------

LOOPBACK_SPELLINGS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[2002:7f00:1::1]/",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://app.localhost/",
    "http://ｌｏｃａｌｈｏｓｔ/",  # noqa: RUF001 - full-width, as a pasted link may be
    "http://１２７．０．０．１/",  # noqa: RUF001
    "https://127.0.0.1/",
    "http://127.0.0.1:80/",
]
PRIVATE_SPELLINGS = [
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fec0::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://192.0.2.1/",
    "http://198.51.100.7/",
    "http://203.0.113.9/",
    "http://198.18.0.1/",
    "http://[2001:db8::1]/",
    "http://[3fff::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:c0a8:101::1]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "http://[64:ff9b:1::1]/",
    "http://[100::1]/",
    "http://0xa.0.0.1/",
    "http://167772161/",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS + PRIVATE_SPELLINGS)
def test_a_link_to_a_non_public_address_is_refused_without_connecting(wire: Wire, url: str) -> None:
    line = refused(url)
    assert "refused: " in line
    assert line.endswith("not a public web page; expected an http or https link to a public page")
    assert wire.connects == []
    assert wire.lookups == []  # all of these are numbers, or this computer's own name


def test_the_refusal_says_what_the_address_is() -> None:
    assert refused("http://0x7f.1/").startswith(
        "http://0x7f.1/: refused: 0x7f.1 is 127.0.0.1, a loopback address (this computer)"
    )
    assert "refused: ::ffff:10.0.0.1 carries 10.0.0.1, a private address" in refused(
        "http://[::ffff:10.0.0.1]/"
    )


def test_allow_private_allows_only_plain_loopback(wire: Wire) -> None:
    for url in ("http://10.0.0.1:8080/", "http://[::ffff:127.0.0.1]:8080/", "http://[fe80::1]/"):
        assert "refused: " in refused(url, allow_private=True)
    assert wire.connects == []


def test_a_name_that_resolves_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, wire: Wire
) -> None:
    monkeypatch.setattr(
        socket, "getaddrinfo", answers({"intranet.example": ["192.168.0.10"]}, wire)
    )
    line = refused("http://intranet.example/")
    assert "refused: intranet.example is 192.168.0.10, a private address" in line
    assert wire.lookups == ["intranet.example"]
    assert wire.connects == []


@pytest.mark.parametrize(
    "url",
    ["http://example.com:8080/", "https://example.com:8443/", "http://example.com:22/",
     "http://example.com:0/", "http://127.0.0.1:5432/"],
)  # fmt: skip
def test_ports_other_than_80_and_443_are_refused(wire: Wire, url: str) -> None:
    line = refused(url)
    assert "only the web's own ports 80 and 443 are fetched" in line
    assert wire.lookups == [] and wire.connects == []


@pytest.mark.parametrize(
    "url", ["http://example.com:80/", "https://example.com:443/", "https://example.com:80/"]
)
def test_ports_80_and_443_pass_to_the_address_check(
    monkeypatch: pytest.MonkeyPatch, wire: Wire, url: str
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", answers({"example.com": ["10.1.2.3"]}, wire))
    assert "refused: example.com is 10.1.2.3" in refused(url)
    assert wire.lookups == ["example.com"] and wire.connects == []


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("file:///etc/passwd", "refused: file: links are not web pages"),
        ("javascript:alert(1)", "refused: javascript: links are not web pages"),
        ("data:text/html,<h1>hi</h1>", "refused: data: links are not web pages"),
        ("ftp://example.com/file.txt", "refused: ftp: links are not web pages"),
        ("gopher://example.com/", "refused: gopher: links are not web pages"),
        ("example.com/yoga", "refused: a link without http:// is not a web page"),
        ("//example.com/yoga", "refused: a link without http:// is not a web page"),
        ("http://user:pass@example.com/", "refused: the link carries a user name or password"),
        ("http://example.com@127.0.0.1/", "refused: the link carries a user name or password"),
        ("http:///nothing", "has no site name"),
        ("http://[::1/", "is not a link unknot can read"),
        ("http://example.com:99999/", "is not a link unknot can read"),
        ("http://1.2.3.4.5/", "is not a valid address: 1.2.3.4.5"),
        ("http://256.0.0.1/", "is not a valid address"),
        ("http://exa mple.com/", "is not a valid site name"),
        ("http://a..b/", "is not a valid site name"),
        ("http://example.com%2F@x/", "refused: the link carries a user name or password"),
    ],
)
def test_links_that_are_not_web_pages_are_refused(wire: Wire, url: str, said: str) -> None:
    line = refused(url)
    assert f": {said}" in line
    assert "; expected an http or https link to a public page" in line
    assert wire.lookups == [] and wire.connects == []


def test_a_long_link_is_shortened_in_the_error() -> None:
    line = refused("ftp://example.com/" + "a" * 5000)
    assert len(line) < 400


# --- Anything at all ------------------------------------------------------------------------

ODD_HOSTS = [
    "example.com", "127.1", "[::1]", "[::ffff:10.0.0.1]", "0x7f.1", "a@b", "xn--nxasmq6b",
    "ñandú.example", "[", "]", "%00", ".", "[2606:4700::1111]", "8.8.8.8",
]  # fmt: skip
URLISH = st.builds(
    lambda scheme, sep, host, port, path: f"{scheme}{sep}{host}{port}{path}",
    st.sampled_from(["http", "https", "HTTP", "ftp", "file", "javascript", "data", ""]),
    st.sampled_from(["://", ":", ":/", "//", ":///"]),
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(ODD_HOSTS),
    ),
    st.one_of(st.just(""), st.integers(-5, 70000).map(lambda p: f":{p}"), st.text(max_size=5)),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=st.one_of(st.text(max_size=80), URLISH))
def test_any_text_fails_only_with_one_clear_error(url: str) -> None:
    """Names resolve to a public address (or to nothing), and connecting to it is refused:
    whatever the text, the answer is an UnknotError, and a connection only ever goes to an
    address that was checked."""
    connects: list[Any] = []

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if len(str(host)) % 4 == 0:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]

    def connect(sock: socket.socket, address: Any) -> None:
        connects.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", lookup)
        patch.setattr(socket.socket, "connect", connect)
        with pytest.raises(UnknotError) as caught:
            fetch(url)
    assert "\n" not in str(caught.value)
    for address in connects:  # only ever a checked, public address, on the web's ports
        assert fetching.refusal(ipaddress.ip_address(address[0])) is None
        assert address[1] in (80, 443)

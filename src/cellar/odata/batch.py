"""``$batch`` of user data (apiref 368): the multipart body read as the real server reads it, and the
multipart answer written as it writes it (``\\n`` line ends, the request's own boundary, the reason
phrase only for 200, 201 and 204). Parse errors fail the whole batch before anything runs.

Unlike the real server, a changeset is all or nothing (OData v2): its requests run in one savepoint of
the batch's transaction, and when one fails the changeset answers that error alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

import orjson

from cellar.errors import PersoniumError

#: ``io.personium.core.odata.batch.bulkRequestMaxSize`` and ``odata.query.top.maxnum``.
MAX_REQUESTS = 1000
MAX_TOTAL_TOP = 10000
#: ``io.personium.core.odata.batch.timeoutInMillis``.
TIMEOUT_SECONDS = 270.0
METHODS = frozenset({"POST", "GET", "PUT", "DELETE"})
REASONS = {200: "OK", 201: "Created", 204: "No Content"}

_REQUEST_LINE = re.compile(r"([A-Z]+) +(\S+)")
_KEY = r"\('[^']*'\)"
_SET = r"[^/()']+"
_NAVIGATION = re.compile(rf"({_SET})({_KEY})/(_[^/()']*)({_KEY})?")
_LINKS = re.compile(rf"({_SET})({_KEY})/\$links/(_[^/()']+)({_KEY})?")
_ENTITY = re.compile(rf"({_SET})({_KEY})?")
_HEADER = re.compile(r" *: *")


@dataclass(frozen=True)
class BatchRequest:
    method: str
    #: The path segments below the collection, as the OData engine takes them.
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    #: What the real server refuses inside a batch (GET through a navigation property, ``$links``
    #: other than POST): answered 501 ``PR501-MC-0001``, or 400 ``PR400-OD-0010`` for a target key.
    refusal: str | None = None


@dataclass(frozen=True)
class ChangeSet:
    boundary: str
    requests: list[BatchRequest] = field(default_factory=list)


Part = BatchRequest | ChangeSet


def boundary_of(content_type: str | None) -> str:
    """The ``boundary`` parameter (the media type itself is not checked, as in the real server)."""
    match = re.search(r"boundary=\"?([^\";]+)\"?", content_type or "")
    return match[1].strip() if match else "null"


def parse(body: bytes, boundary: str) -> list[Part]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PersoniumError("PR400-OD-0023") from None
    text = "\n".join(text.splitlines())
    opening, closing = f"--{boundary}\n", f"--{boundary}--"
    if not text.startswith(opening) or not text.strip().endswith(closing):
        raise PersoniumError("PR400-OD-0023")
    parts = [_part(piece, boundary) for piece in _pieces(text, opening, closing)]
    requests = [r for part in parts for r in (part.requests if isinstance(part, ChangeSet) else [part])]
    if not requests:
        raise PersoniumError("PR400-OD-0021", "Content-Type")
    if len(requests) > MAX_REQUESTS:
        raise PersoniumError("PR400-OD-0030", f"{len(requests):,}")
    if sum(_top(r) for r in requests if r.method == "GET") > MAX_TOTAL_TOP:
        raise PersoniumError("PR400-OD-0037")
    return parts


def _pieces(text: str, opening: str, closing: str) -> Iterator[str]:
    for piece in text.split(opening):
        lines = piece.split("\n")
        end = next((i for i, line in enumerate(lines) if closing in line), len(lines))
        content = "\n".join(lines[:end])
        if content.strip():
            yield content


def _headers(lines: list[str]) -> tuple[dict[str, str], int]:
    """Header lines up to the first empty one (names as sent; an empty value is dropped)."""
    headers: dict[str, str] = {}
    index = 0
    for index, line in enumerate(lines):
        if not line.strip():
            return headers, index + 1
        pieces = _HEADER.split(line.strip(), maxsplit=1)
        if len(pieces) == 2 and pieces[1]:
            headers[pieces[0]] = pieces[1]
    return headers, len(lines)


def _part(piece: str, boundary: str) -> Part:
    lines = piece.split("\n")
    headers, start = _headers(lines)
    kind = headers.get("Content-Type", "")
    if kind == "application/http":
        return _request(lines[start:])
    if not kind.startswith("multipart/mixed"):
        raise PersoniumError("PR400-OD-0021", "Content-Type")
    inner = re.search(r"boundary=(\S+)", kind)
    if inner is None:
        raise PersoniumError("PR400-OD-0021", "Content-Type")
    changeset = ChangeSet(inner[1])
    body = "\n".join(lines[start:])
    for inner_piece in _pieces(body, f"--{changeset.boundary}\n", f"--{changeset.boundary}--"):
        inner_lines = inner_piece.split("\n")
        inner_headers, inner_start = _headers(inner_lines)
        inner_kind = inner_headers.get("Content-Type", "")
        if inner_kind.startswith("multipart/mixed"):
            raise PersoniumError("PR400-OD-0022")
        if inner_kind != "application/http":
            raise PersoniumError("PR400-OD-0021", "Content-Type")
        changeset.requests.append(_request(inner_lines[inner_start:]))
    return changeset


def _request(lines: list[str]) -> BatchRequest:
    while lines and not lines[0].strip():
        lines = lines[1:]
    line = lines[0].strip() if lines else ""
    match = _REQUEST_LINE.match(line)
    method = match[1] if match else line
    if method not in METHODS or match is None:
        raise PersoniumError("PR400-OD-0035", method)
    headers, start = _headers(lines[1:])
    body = "\n".join(lines[1 + start:]).strip().encode("utf-8")
    path, _, query = match[2].partition("?")
    segments, refusal = _segments(method, path, query, line)
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, value)
    return BatchRequest(method, segments, params, headers, body, refusal)


def _segments(method: str, path: str, query: str, line: str) -> tuple[list[str], str | None]:
    """The path forms a batch takes (entity set, entity, navigation POST, ``$links`` POST)."""
    invalid = PersoniumError("PR400-OD-0034", line)
    if "/" in path:
        if query:
            raise invalid
        links = _LINKS.fullmatch(path)
        if links:
            set_name, key, nav, target = links.groups()
            refusal = "PR501-MC-0001" if method != "POST" else ("PR400-OD-0010" if target else None)
            return [f"{set_name}{unquote(key)}", "$links", nav], refusal
        navigation = _NAVIGATION.fullmatch(path)
        if navigation is None:
            raise invalid
        set_name, key, nav, target = navigation.groups()
        refusal = "PR400-OD-0010" if target else ("PR501-MC-0001" if method == "GET" else None)
        return [f"{set_name}{unquote(key)}", nav], refusal
    entity = _ENTITY.fullmatch(path)
    if entity is None or (method == "POST" and entity[2]) or (method in ("PUT", "DELETE") and not entity[2]):
        raise invalid
    return [unquote(path)], None


def _top(request: BatchRequest) -> int:
    value = request.query.get("$top", "")
    return int(value) if value.isdigit() and int(value) <= MAX_TOTAL_TOP else 0


# --- the answer ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PartReply:
    status: int
    headers: Mapping[str, str]
    body: bytes


#: Runs one request of the batch and answers it; raises PersoniumError for an error answer.
Runner = Callable[[BatchRequest], PartReply]
#: Runs a changeset's work in a savepoint, rolled back if it raises.
Atomic = Callable[[Callable[[], list[PartReply]]], list[PartReply]]

#: Part headers in the real server's order.
_HEADER_ORDER = ("ETag", "DataServiceVersion", "Content-Type", "Location")


def error_reply(error: PersoniumError) -> PartReply:
    return PartReply(error.status, {"Content-Type": "application/json"}, orjson.dumps(error.document()))


def _http(reply: PartReply) -> str:
    lines = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, '')}"]
    known = [name for name in _HEADER_ORDER if name in reply.headers]
    lines += [f"{name}: {reply.headers[name]}" for name in known]
    lines += [f"{name}: {value}" for name, value in reply.headers.items() if name not in _HEADER_ORDER]
    text = "\n".join(lines) + "\n\n"
    return text + (reply.body.decode("utf-8") + "\n\n" if reply.body else "")


def answer(parts: list[Part], boundary: str, run: Runner, atomic: Atomic, expired: Callable[[], bool]) -> bytes:
    """Run every part in order and write the multipart answer."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, BatchRequest):
            reply = _guarded(part, run, expired)
            out.append(f"--{boundary}\nContent-Type: application/http\n\n{_http(reply)}")
            continue
        replies = _changeset(part, run, atomic, expired)
        out.append(f"--{boundary}\nContent-Type: multipart/mixed; boundary={part.boundary}\n\n")
        for reply in replies:
            out.append(f"--{part.boundary}\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
                       f"{_http(reply)}")
        out.append(f"--{part.boundary}--\n\n")
    out.append(f"--{boundary}--")
    return "".join(out).encode("utf-8")


def _guarded(request: BatchRequest, run: Runner, expired: Callable[[], bool]) -> PartReply:
    if expired():
        return error_reply(PersoniumError("PR408-MC-0001"))
    try:
        return run(request)
    except PersoniumError as error:
        return error_reply(error)


class _ChangeSetFailed(Exception):
    def __init__(self, reply: PartReply) -> None:
        self.reply = reply


def _changeset(changeset: ChangeSet, run: Runner, atomic: Atomic, expired: Callable[[], bool]) -> list[PartReply]:
    """All or nothing: the first failure rolls the changeset back and is its only answer."""
    def work() -> list[PartReply]:
        replies = []
        for request in changeset.requests:
            reply = _guarded(request, run, expired)
            if reply.status >= 400:
                raise _ChangeSetFailed(reply)
            replies.append(reply)
        return replies

    try:
        return atomic(work)
    except _ChangeSetFailed as failed:
        return [failed.reply]

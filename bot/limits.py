"""Request bodies read with a cap while they stream, before any decoding or checking.

    body = await read_body(request, limit)   # raises BodyTooLarge past `limit` bytes

A declared `Content-Length` above the limit is refused before a byte is read; the bytes
actually received are counted too (a client may lie in its header or send chunked), so a
hostile body costs at most `limit` plus one chunk of memory.
"""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    """The body is (or says it is) larger than the limit: answer 413."""


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)

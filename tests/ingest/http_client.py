"""A tiny raw HTTP client for exercising the OTLP/HTTP receiver with exact headers and bodies."""

import http.client
from dataclasses import dataclass


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def post(server, path: str, body: bytes, headers: dict[str, str]) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()

"""A one-purpose HTTPS server on loopback for tests/tls_floor.rs: it offers exactly one TLS
version and answers every request with an AWS-style JSON error, so that a client that completes
the handshake gets a service error back.

Usage: python server.py CERT KEY VERSION   (VERSION 1.1 or 1.2); prints the port, then serves.
Each handshake's outcome is printed as a line: "handshake ok TLSv1.2" or "handshake failed: …".
"""
import socket
import ssl
import sys

cert, key, version = sys.argv[1], sys.argv[2], sys.argv[3]
versions = {"1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2}
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
context.minimum_version = context.maximum_version = versions[version]
# OpenSSL 3 refuses TLS 1.1 at its default security level; level 0 lets the server offer it.
context.set_ciphers("DEFAULT:@SECLEVEL=0")

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
print(listener.getsockname()[1], flush=True)
body = b'{"__type":"AccessDeniedException","message":"tls-floor test server"}'
while True:
    raw, _ = listener.accept()
    try:
        with context.wrap_socket(raw, server_side=True) as conn:
            print(f"handshake ok {conn.version()}", flush=True)
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                request += chunk
            conn.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n"
                + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
            )
    except (ssl.SSLError, OSError) as e:
        print(f"handshake failed: {e}", flush=True)
    finally:
        raw.close()

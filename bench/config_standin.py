"""A stand-in for AWS Config's recorded pipelines, in front of moto, for the sweep benchmark.

moto's Config records no CodePipeline pipelines, so a sweep against it always falls back to
GetPipeline. This proxy answers BatchGetResourceConfig requests for AWS::CodePipeline::Pipeline
keys from the items bench/moto_pipelines.py wrote (moto's own pipeline definitions in Config's
API shape) and forwards every other request to moto unchanged, so the function's call count
shows what a sweep costs in an account whose Config records pipelines.

Usage: python config_standin.py PORT MOTO_URL ITEMS_FILE
"""
import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, items_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
items = json.load(open(items_file))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.headers.get("x-amz-target", "").endswith(".BatchGetResourceConfig"):
            keys = json.loads(body).get("resourceKeys", [])
            if keys and all(k.get("resourceType") == "AWS::CodePipeline::Pipeline" for k in keys):
                found = [items[k["resourceId"]] for k in keys if k["resourceId"] in items]
                answer = json.dumps({"baseConfigurationItems": found, "unprocessedResourceKeys": []}).encode()
                return self.reply(200, [("content-type", "application/x-amz-json-1.1")], answer)
        request = urllib.request.Request(upstream + self.path, data=body or None, method=self.command,
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                self.reply(response.status, response.getheaders(), response.read())
        except urllib.error.HTTPError as error:
            self.reply(error.code, error.headers.items(), error.read())

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()

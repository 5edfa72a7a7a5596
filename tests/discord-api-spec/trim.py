#!/usr/bin/env python3
"""Trims Discord's OpenAPI description to what the fake Discord's checks read.

Usage: trim.py FULL_openapi.json > openapi.json

Kept: every path and method (a call to an operation Discord does not have must still be
refused), each operation's request body, and the component schemas those bodies reach
through `$ref`. Dropped: responses, parameters, security, string annotations
(description, title, examples), and schemas no request body reaches.
"""
import json
import sys

ANNOTATIONS = {"description", "title", "example", "examples", "summary", "externalDocs", "x-discord-union"}


def strip(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ANNOTATIONS and not isinstance(v, dict):
                continue
            out[k] = strip(v)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def refs(node, found):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/components/schemas/"):
            found.add(r.rsplit("/", 1)[1])
        for v in node.values():
            refs(v, found)
    elif isinstance(node, list):
        for v in node:
            refs(v, found)


def main():
    doc = json.load(open(sys.argv[1]))
    methods = {"get", "put", "post", "patch", "delete"}
    paths = {}
    for path, item in doc["paths"].items():
        ops = {}
        for method, op in item.items():
            if method not in methods:
                continue
            ops[method] = {"requestBody": strip(op["requestBody"])} if "requestBody" in op else {}
        paths[path] = ops
    schemas = doc["components"]["schemas"]
    keep, todo = set(), set()
    refs(paths, todo)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        refs(schemas[name], todo)
    out = {
        "openapi": doc["openapi"],
        "info": {"title": doc["info"]["title"], "version": doc["info"]["version"],
                 "note": "trimmed by tests/discord-api-spec/trim.py: request bodies and the schemas they reach"},
        "paths": paths,
        "components": {"schemas": {k: strip(schemas[k]) for k in sorted(keep)}},
    }
    json.dump(out, sys.stdout, separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")


main()

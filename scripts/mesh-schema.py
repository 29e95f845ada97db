#!/usr/bin/env python3
"""Writes translate's mesh-config-schema.yaml from Istio's API protos.

Usage: scripts/mesh-schema.py API_DIR > translate/src/main/resources/dev/isthmus/translate/mesh-config-schema.yaml
API_DIR is a checkout of Istio's API module (the one holding mesh/v1alpha1/config.proto). The schema lists every
message reachable from istio.mesh.v1alpha1.MeshConfig with its fields (JSON names) and types, and every enum with its
value names; MeshConfigSchema reads it to check meshConfig the way protobuf's JSON decoding would.
"""
import os
import re
import sys

SCALARS = {"string", "bool", "int32", "uint32", "int64", "uint64", "sint32", "sint64", "fixed32", "fixed64",
           "sfixed32", "sfixed64", "double", "float", "bytes"}
WKT = {
    "google.protobuf.Duration": "duration",
    "google.protobuf.Struct": "struct",
    "google.protobuf.Value": "any",
    "google.protobuf.Any": "struct",
    "google.protobuf.BoolValue": "bool",
    "google.protobuf.Int32Value": "int32",
    "google.protobuf.UInt32Value": "uint32",
    "google.protobuf.Int64Value": "int64",
    "google.protobuf.UInt64Value": "uint64",
    "google.protobuf.DoubleValue": "double",
    "google.protobuf.FloatValue": "float",
    "google.protobuf.StringValue": "string",
    "google.protobuf.Timestamp": "string",
    "google.protobuf.Empty": "struct",
}
NORMAL = {"sint32": "int32", "sfixed32": "int32", "fixed32": "uint32", "sint64": "int64", "sfixed64": "int64",
          "fixed64": "uint64", "float": "double", "bytes": "string"}

messages = {}  # fq name -> list of (json name, type text, label, oneof, deprecated)
enums = {}     # fq name -> list of value names
scopes = {}    # fq name -> package (for resolution)


def tokens(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.findall(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*|-?\d[\w.]*|[{}\[\]<>=;,()]|\S', text)


def camel(name):
    out, up = [], False
    for ch in name:
        if ch == "_":
            up = True
        else:
            out.append(ch.upper() if up else ch)
            up = False
    return "".join(out)


def parse_file(path):
    toks = tokens(open(path).read())
    pkg = ""
    i = 0

    def skip_block(j):
        depth = 0
        while True:
            if toks[j] == "{":
                depth += 1
            elif toks[j] == "}":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1

    def skip_statement(j):
        while toks[j] != ";":
            if toks[j] == "{":
                return skip_block(j)
            j += 1
        return j + 1

    def parse_options(j):
        # at "[": returns (index after "]", deprecated, json_name)
        depth, dep, jn = 0, False, None
        start = j
        while True:
            if toks[j] == "[":
                depth += 1
            elif toks[j] == "]":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        body = toks[start + 1:j]
        for k, t in enumerate(body):
            if t == "deprecated" and k + 2 < len(body) and body[k + 2] == "true":
                dep = True
            if t == "json_name" and k + 2 < len(body):
                jn = body[k + 2].strip('"')
        return j + 1, dep, jn

    def parse_enum(j, scope):
        name = toks[j + 1]
        fq = scope + "." + name
        j += 3
        vals = []
        while toks[j] != "}":
            if toks[j] in ("option", "reserved"):
                j = skip_statement(j)
                continue
            vals.append(toks[j])
            while toks[j] != ";":
                if toks[j] == "[":
                    j, _, _ = parse_options(j)
                    continue
                j += 1
            j += 1
        enums[fq] = vals
        return j + 1

    def parse_field(j, scope, fields, oneof):
        label = ""
        if toks[j] in ("repeated", "optional"):
            label = toks[j] if toks[j] == "repeated" else ""
            j += 1
        if toks[j] == "map":
            key, val = toks[j + 2], toks[j + 4]
            typ = ("map", val)
            j += 6
        else:
            typ = toks[j]
            j += 1
        fname = toks[j]
        j += 3  # name = number
        dep, jn = False, None
        if toks[j] == "[":
            j, dep, jn = parse_options(j)
        assert toks[j] == ";", (path, toks[j - 5:j + 1])
        fields.append((jn or camel(fname), typ, label, oneof, dep, scope))
        return j + 1

    def parse_message(j, scope):
        name = toks[j + 1]
        fq = scope + "." + name
        fields = []
        messages[fq] = fields
        j += 3
        while toks[j] != "}":
            t = toks[j]
            if t == "message":
                j = parse_message(j, fq)
            elif t == "enum":
                j = parse_enum(j, fq)
            elif t in ("option", "reserved", "extensions"):
                j = skip_statement(j)
            elif t == "oneof":
                group = toks[j + 1]
                j += 3
                while toks[j] != "}":
                    if toks[j] == "option":
                        j = skip_statement(j)
                    else:
                        j = parse_field(j, fq, fields, group)
                j += 1
            elif t == ";":
                j += 1
            else:
                j = parse_field(j, fq, fields, None)
        return j + 1

    while i < len(toks):
        t = toks[i]
        if t == "package":
            pkg = toks[i + 1]
            i += 3
        elif t == "message":
            i = parse_message(i, pkg)
        elif t == "enum":
            i = parse_enum(i, pkg)
        elif t == "service":
            i = skip_block(i)
        else:
            i = skip_statement(i)


def resolve(name, scope):
    if name in SCALARS:
        return NORMAL.get(name, name)
    if name.startswith("."):
        name = name[1:]
    if name in WKT:
        return WKT[name]
    parts = scope.split(".")
    for k in range(len(parts), -1, -1):
        cand = ".".join(parts[:k] + [name])
        if cand in messages:
            return "msg:" + cand
        if cand in enums:
            return "enum:" + cand
        if cand in WKT:
            return WKT[cand]
    raise SystemExit("cannot resolve %s in %s" % (name, scope))


def main():
    api = sys.argv[1]
    for rel in ["mesh/v1alpha1/config.proto", "mesh/v1alpha1/proxy.proto", "mesh/v1alpha1/network.proto",
                "networking/v1alpha3/destination_rule.proto", "networking/v1alpha3/virtual_service.proto",
                "networking/v1alpha3/workload_group.proto", "networking/v1beta1/proxy_config.proto",
                "type/v1beta1/selector.proto", "networking/v1alpha3/sidecar.proto",
                "networking/v1alpha3/gateway.proto", "networking/v1alpha3/service_entry.proto",
                "networking/v1alpha3/workload_entry.proto", "analysis/v1alpha1/message.proto",
                "meta/v1alpha1/status.proto"]:
        p = os.path.join(api, rel)
        if os.path.exists(p):
            parse_file(p)
    seen, order, todo = set(), [], ["msg:istio.mesh.v1alpha1.MeshConfig"]
    out_msgs, out_enums = {}, {}
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        kind, fq = t.split(":", 1)
        if kind == "enum":
            out_enums[fq] = enums[fq]
            continue
        fields = {}
        oneofs = {}
        for jn, typ, label, oneof, dep, scope in messages[fq]:
            if isinstance(typ, tuple):
                r = resolve(typ[1], scope)
                text = "map:" + r
            else:
                r = resolve(typ, scope)
                text = ("[]" if label == "repeated" else "") + r
            if r.startswith(("msg:", "enum:")):
                todo.append(r)
            fields[jn] = text
            if oneof:
                oneofs.setdefault(oneof, []).append(jn)
        out_msgs[fq] = (fields, [v for v in oneofs.values() if len(v) > 1])
    print("# Generated by scripts/mesh-schema.py from Istio's mesh configuration protos (%s); do not edit by hand."
          % os.path.basename(os.path.normpath(api)))
    print("# Field names are the JSON names; types: string, bool, int32, uint32, int64, uint64, double, duration,")
    print("# struct (any object), any, msg:NAME, enum:NAME; a [] prefix is a list, map: a map with string keys.")
    print("messages:")
    for fq in sorted(out_msgs):
        fields, oneofs = out_msgs[fq]
        print("  %s:" % fq)
        print("    fields:" + ("" if fields else " {}"))
        for jn in fields:
            print("      %s: \"%s\"" % (jn, fields[jn]))
        if oneofs:
            print("    oneofs:")
            for g in oneofs:
                print("      - [%s]" % ", ".join(g))
    print("enums:")
    for fq in sorted(out_enums):
        print("  %s: [%s]" % (fq, ", ".join(out_enums[fq])))


main()

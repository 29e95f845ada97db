#!/usr/bin/env python3
"""Derives translate's values schema (knob names and JSON types, no values, no comments) from
Istio's chart default values. Usage: gen-values-schema.py CHART_VALUES_DIR > values-schema.yaml

Leaves are type names: bool, number, string, list, map (free-form), any (untyped), or k8s:<Kind>
(checked strictly against the fabric8 model). A '*' key matches any name (gateway names)."""
import sys, yaml

d = sys.argv[1]
def load(name):
    v = yaml.safe_load(open(f"{d}/{name}.values.yaml"))
    return v.get("_internal_defaults_do_not_set", v)

FREE = {"podAnnotations", "podLabels", "labels", "annotations", "nodeSelector", "defaultNodeSelector",
        "serviceAnnotations", "serviceAccountAnnotations", "deploymentLabels", "deploymentAnnotations",
        "daemonSetLabels", "updateStrategy", "autoscaleBehavior", "seccompProfile", "securityContext",
        "containerSecurityContext", "seLinuxOptions", "dnsConfig", "service", "strategy", "readinessProbe",
        "lifecycle", "podDisruptionBudget", "proxyMetadata", "templates", "meshNetworks", "injectedAnnotations",
        "gatewayClasses", "sidecarInjectorWebhookAnnotations", "rollingUpdate", "enablementSelectors",
        "serviceAccount", "rbac", "autoscaling", "networkGatewayPorts", "selectorLabels", "pods", "memory",
        "cpu", "lifecycle", "env", "resourceQuotas"}
ANY = {"meshConfig", "env", "tag", "replicaCount", "minReadySeconds", "ownerName"}
K8S = {"tolerations": "k8s:Toleration[]", "defaultTolerations": "k8s:Toleration[]",
       "affinity": "k8s:Affinity", "resources": "k8s:ResourceRequirements",
       "defaultResources": "k8s:ResourceRequirements", "volumes": "k8s:Volume[]",
       "volumeMounts": "k8s:VolumeMount[]", "topologySpreadConstraints": "k8s:TopologySpreadConstraint[]",
       "envVarFrom": "k8s:EnvVar[]", "imagePullSecrets": "list", "initContainers": "k8s:Container[]"}

def schema(v, key=None):
    if key in K8S: return K8S[key]
    if key in ANY: return "any"
    if key in FREE: return "map"
    if isinstance(v, bool): return "bool"
    if isinstance(v, (int, float)): return "number"
    if isinstance(v, str): return "string"
    if v is None: return "any"
    if isinstance(v, list): return "list"
    if isinstance(v, dict):
        if not v: return "map"
        return {k: schema(x, k) for k, x in v.items()}
    return "any"

def union(*trees):
    out = {}
    for t in trees:
        for k, v in t.items():
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = union(out[k], v)
            elif k not in out or not isinstance(v, str) or out[k] == "any":
                out[k] = v
    return out

disc = load("istio-control_istio-discovery"); base = load("base"); dflt = load("default")
cni = load("istio-cni"); zt = load("ztunnel")
ing = load("gateways_istio-ingress"); egr = load("gateways_istio-egress")
TOP = {"global", "meshConfig", "base", "gateways", "revision", "revisionTags", "ownerName",
       "sidecarInjectorWebhook", "istiodRemote", "telemetry", "experimental", "gatewayClasses", "pdb"}
pilot = {k: v for k, v in disc.items() if k not in TOP}
pilot.update({"enabled": True, "podLabels": {}, "hpaSpec": {}})
gw = union(schema(ing["gateways"]["istio-ingressgateway"]), schema(egr["gateways"]["istio-egressgateway"]))
gw.update({"enabled": "bool", "name": "string", "namespace": "string", "labels": "map", "ports": "list",
           "hpaSpec": "map", "podDisruptionBudget": "map", "tag": "any", "hub": "string",
           "replicaCount": "any"})
cniS = schema({k: v for k, v in cni.items() if k != "global"})
cniS.update({"enabled": "bool", "namespace": "string", "tag": "any", "hub": "string"})
ztS = schema({k: v for k, v in zt.items() if k != "global"})
ztS.update({"enabled": "bool", "namespace": "string", "tag": "any", "hub": "string"})
pilotS = schema(pilot); pilotS.update({"tag": "any", "hub": "string", "namespace": "string"})
glob = union(*(schema(x.get("global", {})) for x in (disc, base, dflt, cni, ing, egr, zt)),
             {"platform": "string", "defaultConfigVisibilitySettings": "list", "istioNamespace": "string",
              "remotePilotAddress": "string", "jwtPolicy": "string", "arch": "map"})
glob["proxy"]["holdApplicationUntilProxyStarts"] = "bool"
out = {
    "global": glob,
    "pilot": pilotS,
    "gateways": union({k: v for k, v in schema(disc["gateways"]).items()}, {"*": gw}),
    "cni": cniS, "istio_cni": "map", "ztunnel": ztS,
    "base": union(schema(base["base"]), schema(disc["base"]), {"enabled": "bool"}),
    "istiodRemote": union(schema(disc["istiodRemote"]), schema(dflt["istiodRemote"])),
    "sidecarInjectorWebhook": schema(disc["sidecarInjectorWebhook"]),
    "telemetry": schema(disc["telemetry"]), "experimental": schema(disc["experimental"]),
    "gatewayClasses": "map", "pdb": schema(disc["pdb"]), "meshConfig": "any", "revision": "string",
    "revisionTags": "list", "ownerName": "any", "defaultRevision": "string", "profile": "string",
    "compatibilityVersion": "string", "istio_cni": "map",
}
print("# Generated by translate/scripts/gen-values-schema.py from Istio's chart defaults; edit the script.")
print(yaml.safe_dump(out, sort_keys=True, default_flow_style=False), end="")

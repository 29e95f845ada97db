package dev.isthmus.controlplane.webhooks.inject;

/**
 * {@code Workload} names the object a pod belongs to, Istio's {@code DeploymentMeta} and {@code
 * TypeMeta}: the injector derives it from the pod's owner references, while {@code kube-inject}
 * knows it from the manifest it rewrites.
 *
 * @param name the workload's name
 * @param namespace its namespace, empty when the manifest has none
 * @param kind e.g. {@code Deployment}; empty for a bare pod
 * @param apiVersion e.g. {@code apps/v1}; empty for a bare pod
 */
public record Workload(String name, String namespace, String kind, String apiVersion) {}

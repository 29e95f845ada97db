package dev.isthmus.patch;

/**
 * {@code PatchTarget} names the component objects that {@code k8s.*} settings target.
 *
 * @param workloadKind {@code "Deployment"} or {@code "DaemonSet"}; null when the component has no
 *     workload (then workload settings are an error)
 * @param workloadName name of the workload, and of its HorizontalPodAutoscaler and
 *     PodDisruptionBudget
 * @param containerName the main container, e.g. {@code discovery}, {@code istio-proxy}, {@code
 *     install-cni}; the target of env, imagePullPolicy, readinessProbe, resources, volumeMounts
 * @param serviceName the component's Service; may be null (then service settings are an error)
 */
public record PatchTarget(
    String workloadKind, String workloadName, String containerName, String serviceName) {}

/**
 * {@code patch} applies an IstioOperator component's {@code k8s} block to the component's rendered
 * objects: the {@code k8s.*} settings as strategic merges, then {@code k8s.overlays} (Istio's path
 * patches in the {@link dev.isthmus.tpath tpath} grammar, plus RFC 6902 {@code jsonPatch} and RFC
 * 7386 {@code mergePatch}). {@link dev.isthmus.patch.Patcher#apply Patcher.apply} is the entry
 * point; its documentation lists every rule, including where Isthmus differs from Istio. {@link
 * dev.isthmus.patch.StrategicMerge} is Isthmus' one Kubernetes strategic merge patch: the control
 * plane's sidecar injector merges templates into pods with it too.
 */
package dev.isthmus.patch;

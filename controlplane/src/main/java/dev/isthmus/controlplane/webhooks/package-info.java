/**
 * Admission webhooks of the control plane: Istio config validation ({@code /validate}) and sidecar
 * injection ({@code /inject}), served over HTTPS on port 15017 by {@link
 * dev.isthmus.controlplane.webhooks.Webhooks}.
 *
 * <h2>Wiring</h2>
 *
 * {@link dev.isthmus.controlplane.webhooks.Webhooks#start} takes a Kubernetes client, a {@link
 * dev.isthmus.controlplane.webhooks.Webhooks.Config}, a {@link
 * dev.isthmus.controlplane.webhooks.ServingTls} (the serving key and chain, asked on every
 * handshake so rotation needs no restart) and a {@link
 * dev.isthmus.controlplane.webhooks.CaRootSource} (the root PEM and change notifications). The CA
 * implements the last two; this package does not depend on it.
 *
 * <h2>Validation</h2>
 *
 * Objects of networking.istio.io, security.istio.io and telemetry.istio.io are parsed into fabric8
 * istio-model types and checked by per-kind rules mirroring Istio's ({@code validation} package).
 * Messages name the field path. A route split whose weights do not sum to 100 is a warning, as
 * Istio normalises weights; a split whose weights are all zero is an error.
 *
 * <h2>Injection</h2>
 *
 * As Istio's injector: the templates of the {@code istio-sidecar-injector[-<rev>]} ConfigMap
 * ({@code config.templates}, including custom ones from {@code sidecarInjectorWebhook.templates})
 * are Go templates, evaluated by the {@code gotmpl} module's engine (Go's {@code text/template}
 * language with Sprig and Istio's template functions) against Istio's template data ({@code
 * .ObjectMeta}, {@code .Spec}, {@code .Values}, {@code .ProxyConfig}, {@code .MeshConfig}, ...).
 * The pod picks templates with {@code inject.istio.io/templates}, else {@code defaultTemplates}
 * apply. Each rendered template is a pod overlaid on the submitted one with strategic-merge
 * semantics; then Prometheus merge, probe rewrite, {@code injectedAnnotations}, the {@code
 * sidecar.istio.io/status} annotation and container order are applied in Java, and a JSON Patch is
 * returned. A template that is missing or fails refuses the pod with a message naming the template
 * and line, as Istio returns an error. A ConfigMap whose template does not parse is not taken up
 * (the previous config stays). Not supported: native sidecars detection from node versions (only
 * {@code pilot.env.ENABLE_NATIVE_SIDECARS} in the values turns {@code .NativeSidecars} on), {@code
 * neverInjectSelector}/{@code alwaysInjectSelector}, re-injection of a pod that already has an
 * {@code istio-proxy} container (Istio merges such user customisations; here the pod counts as
 * injected), and {@code otelResourceAttributes} (always empty).
 */
package dev.isthmus.controlplane.webhooks;

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
 * The {@code sidecar} and {@code grpc-agent} templates are built in Java from the {@code values} of
 * the {@code istio-sidecar-injector[-<rev>]} ConfigMap and the mesh config's {@code defaultConfig},
 * rather than by evaluating Istio's Go templates; only {@code policy} and {@code defaultTemplates}
 * are read from its {@code config} key. Values honoured: {@code global.hub/tag/variant}, {@code
 * global.proxy.image}, {@code global.proxy_init.image}, {@code global.proxy.resources}, {@code
 * logLevel}, {@code componentLogLevel}, {@code clusterDomain}, {@code statusPort}, {@code
 * include/excludeIPRanges}, {@code include/excludeInboundPorts}, {@code
 * include/excludeOutboundPorts}, {@code holdApplicationUntilProxyStarts}, {@code privileged},
 * {@code readiness*}, {@code startupProbe}, {@code global.imagePullPolicy}, {@code
 * global.imagePullSecrets}, {@code global.caAddress}, {@code global.pilotCertProvider}, {@code
 * global.logging.level}, {@code global.logAsJson}, {@code global.meshID}, {@code
 * global.trustDomain}, {@code global.network}, {@code global.multiCluster.clusterName}, {@code
 * global.sds.token.aud}, {@code global.istioNamespace}, {@code revision}, {@code pilot.cni.enabled}
 * (or {@code istio_cni.enabled}), {@code sidecarInjectorWebhook.rewriteAppHTTPProbe}. Annotations
 * honoured: {@code proxy.istio.io/config}, {@code sidecar.istio.io/inject}, {@code
 * inject.istio.io/templates}, {@code sidecar.istio.io/proxyImage}, {@code proxyCPU/Memory[Limit]},
 * {@code logLevel}, {@code componentLogLevel}, {@code agentLogLevel}, {@code interceptionMode},
 * {@code rewriteAppHTTPProbers}, {@code bootstrapOverride}, {@code status.sidecar.istio.io/port},
 * {@code readiness.status.sidecar.istio.io/*} and {@code traffic.sidecar.istio.io/*}. Not
 * supported: custom templates ({@code sidecarInjectorWebhook.templates}), native sidecars (init
 * container with {@code restartPolicy: Always}), {@code userVolume}/{@code userVolumeMount}
 * annotations, {@code neverInjectSelector}/{@code alwaysInjectSelector}, {@code
 * injectedAnnotations}.
 */
package dev.isthmus.controlplane.webhooks;

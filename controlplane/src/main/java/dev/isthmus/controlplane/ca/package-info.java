/**
 * Citadel: the control plane's certificate authority, wire-compatible with Istio's agent.
 *
 * <p>{@link dev.isthmus.controlplane.ca.Citadel} is the entry point. It serves {@code
 * istio.v1.auth.IstioCertificateService/CreateCertificate} ({@link
 * dev.isthmus.controlplane.ca.CertificateService}, with the stub protoc generates from {@code
 * src/main/proto/istio/v1/auth/ca.proto}); authenticates callers by TLS client certificate or by a
 * service-account token checked with TokenReview ({@link
 * dev.isthmus.controlplane.ca.CallerAuthenticator}); validates CSRs ({@link
 * dev.isthmus.controlplane.ca.CsrValidator}); signs with BouncyCastle ({@link
 * dev.isthmus.controlplane.ca.CertIssuer}); keeps its keys in Secrets {@code cacerts} (plugged-in,
 * wins) or {@code istio-ca-secret} (self-signed, created on first start by whichever replica wins,
 * read by the others); writes ConfigMap {@code istio-ca-root-cert} into every namespace while
 * holding Lease {@code istio-namespace-controller-election}; and renews its own serving certificate
 * ({@link dev.isthmus.controlplane.ca.ServingCertificate}).
 *
 * <p>Kubernetes permissions it needs: {@code create} on {@code tokenreviews}; {@code get, list,
 * watch, create, update} on {@code secrets} in its own namespace; {@code get, list, watch, create,
 * patch} on {@code configmaps} in all namespaces; {@code list, watch} on {@code namespaces}; {@code
 * get, create, update} on {@code leases} in its own namespace; and {@code create} on {@code events}
 * in its own namespace, for the Warning raised when a CA Secret disappears while in use (without it
 * the refusal is logged and the metric still counts).
 */
package dev.isthmus.controlplane.ca;
